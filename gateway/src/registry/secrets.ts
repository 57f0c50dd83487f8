import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * Credential hashing for the registry. Three kinds of secret, three treatments:
 *
 * - user passwords are chosen by people (low entropy): scrypt with a random salt, so a leaked
 *   users table costs an attacker real work per guess;
 * - device secrets are 256-bit random values made here, so guessing is hopeless whatever the
 *   hash. A slow KDF would add nothing against guessing, but every MQTT CONNECT verifies one:
 *   after a mobile-network outage thousands of watches reconnect at once, and scrypt at
 *   ~50 ms each would cost minutes of CPU. A salted SHA-256 is microseconds;
 * - bearer tokens are random too; only sha256(token) is stored (auth_tokens.token_hash) so a
 *   leaked table does not leak sessions. No salt: the hash is the lookup key.
 *
 * Every comparison of hashes uses timingSafeEqual so response time does not reveal how many
 * leading bytes matched.
 */

// N=2^14, r=8, p=1: the scrypt parameters Node and OWASP recommend as a floor (~16 MiB, tens of ms).
const SCRYPT_PARAMS: ScryptOptions = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
const SCRYPT_KEYLEN = 32

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT_KEYLEN, SCRYPT_PARAMS, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/** `scrypt$<salt hex>$<hash hex>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scryptAsync(password, salt)
  return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, saltHex, hashHex] = stored.split('$')
  if (scheme !== 'scrypt' || saltHex === undefined || hashHex === undefined) return false
  const expected = Buffer.from(hashHex, 'hex')
  const actual = await scryptAsync(password, Buffer.from(saltHex, 'hex'))
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/**
 * A well-formed hash of a random password nobody knows: login runs scrypt against it when the
 * username does not exist, so timing does not tell an attacker which usernames exist.
 */
export const DUMMY_PASSWORD_HASH = `scrypt$${randomBytes(16).toString('hex')}$${randomBytes(SCRYPT_KEYLEN).toString('hex')}`

/** 32 random bytes, base64url (43 characters): safe as an MQTT password and in JSON. */
export function generateDeviceSecret(): string {
  return randomBytes(32).toString('base64url')
}

function sha256Hex(...parts: Array<string | Buffer>): Buffer {
  const h = createHash('sha256')
  for (const part of parts) h.update(part)
  return h.digest()
}

/** `sha256$<salt hex>$<hash hex>` — see the header comment for why not scrypt. */
export function hashDeviceSecret(secret: string): string {
  const salt = randomBytes(16)
  return `sha256$${salt.toString('hex')}$${sha256Hex(salt, secret).toString('hex')}`
}

export function verifyDeviceSecret(secret: string, stored: string): boolean {
  const [scheme, saltHex, hashHex] = stored.split('$')
  if (scheme !== 'sha256' || saltHex === undefined || hashHex === undefined) return false
  const expected = Buffer.from(hashHex, 'hex')
  const actual = sha256Hex(Buffer.from(saltHex, 'hex'), secret)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/** 32 random bytes, base64url: the bearer token handed to the client. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url')
}

/** What auth_tokens stores and looks up by. */
export function hashToken(token: string): string {
  return sha256Hex(token).toString('hex')
}

/** A readable generated admin password (printed once at first start). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url')
}
