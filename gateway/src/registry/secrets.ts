import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * Credential hashing for the registry. Three kinds of secret, three treatments:
 *
 * - user passwords are chosen by people (low entropy): scrypt with a random salt, so a leaked
 *   users table costs an attacker real work per guess (parameters below);
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

/**
 * scrypt at OWASP's current recommendation (Password Storage Cheat Sheet: N=2^17, r=8, p=1):
 * 128 MiB and most of a second on a small server per hash — the cost a leaked users table puts
 * on every guess. Logins pay it too, which the login throttle bounds. The parameters are stored
 * with each hash (`scrypt$N$r$p$salt$hash`), so they can be raised later without locking anyone
 * out: a login with a hash made under other parameters re-hashes the password it just verified.
 */
export interface ScryptParams {
  N: number
  r: number
  p: number
}
export const PASSWORD_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 }
/** What new hashes use: PASSWORD_SCRYPT, except in test suites (usePasswordScrypt). */
let currentScrypt: ScryptParams = PASSWORD_SCRYPT
/** Hashes from before the parameters were stored (`scrypt$salt$hash`) used these. */
const LEGACY_SCRYPT: ScryptParams = { N: 2 ** 14, r: 8, p: 1 }
/** What a stored hash may ask for: a tampered row must not make one login allocate gigabytes. */
const MAX_SCRYPT: ScryptParams = { N: 2 ** 20, r: 16, p: 4 }
const SCRYPT_KEYLEN = 32

function scryptAsync(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // Node refuses more than 32 MiB by default; scrypt needs 128·N·r bytes (128 MiB at OWASP's N and r).
  const options: ScryptOptions = { ...params, maxmem: 2 * 128 * params.N * params.r }
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT_KEYLEN, options, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/** `scrypt$<N>$<r>$<p>$<salt hex>$<hash hex>` */
export async function hashPassword(password: string, params: ScryptParams = currentScrypt): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scryptAsync(password, salt, params)
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('hex')}$${hash.toString('hex')}`
}

interface StoredPassword {
  params: ScryptParams
  salt: Buffer
  hash: Buffer
}

const HEX = /^(?:[0-9a-f]{2})+$/

function parseStoredPassword(stored: string): StoredPassword | null {
  const parts = stored.split('$')
  if (parts[0] !== 'scrypt') return null
  let params: ScryptParams
  let saltHex: string | undefined
  let hashHex: string | undefined
  if (parts.length === 3) {
    params = LEGACY_SCRYPT
    ;[, saltHex, hashHex] = parts
  } else if (parts.length === 6) {
    const [N, r, p] = parts.slice(1, 4).map((v) => (/^[1-9][0-9]{0,9}$/.test(v ?? '') ? Number(v) : NaN)) as [number, number, number]
    // N must be a power of two above 1 (scrypt's own rule), every parameter within bounds.
    const valid = N > 1 && (N & (N - 1)) === 0 && N <= MAX_SCRYPT.N && r <= MAX_SCRYPT.r && p <= MAX_SCRYPT.p
    if (!valid) return null
    params = { N, r, p }
    ;[, , , , saltHex, hashHex] = parts
  } else {
    return null
  }
  if (saltHex === undefined || hashHex === undefined || !HEX.test(saltHex) || !HEX.test(hashHex)) return null
  return { params, salt: Buffer.from(saltHex, 'hex'), hash: Buffer.from(hashHex, 'hex') }
}

export interface PasswordCheck {
  ok: boolean
  /** Right password, hash made under other parameters than the current ones: store a new hash. */
  rehash: boolean
}

export async function checkPassword(password: string, stored: string): Promise<PasswordCheck> {
  const parsed = parseStoredPassword(stored)
  if (parsed === null) return { ok: false, rehash: false }
  const actual = await scryptAsync(password, parsed.salt, parsed.params)
  const ok = parsed.hash.length === actual.length && timingSafeEqual(parsed.hash, actual)
  const current = parsed.params.N === currentScrypt.N && parsed.params.r === currentScrypt.r && parsed.params.p === currentScrypt.p
  return { ok, rehash: ok && !current }
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  return (await checkPassword(password, stored)).ok
}

function dummyHash(params: ScryptParams): string {
  return `scrypt$${params.N}$${params.r}$${params.p}$${randomBytes(16).toString('hex')}$${randomBytes(SCRYPT_KEYLEN).toString('hex')}`
}

/**
 * A well-formed hash of a random password nobody knows, at the current parameters: login runs
 * scrypt against it when the username does not exist, so timing does not tell an attacker
 * which usernames exist. (A live binding: usePasswordScrypt replaces it.)
 */
export let DUMMY_PASSWORD_HASH = dummyHash(currentScrypt)

/**
 * Test suites only (test/support/password-hashing.ts, a vitest setup file): hundreds of logins
 * at most of a second each would dominate the suite, as Django's documentation says of its own
 * tests. The gateway never calls it; the parameters themselves are tested in secrets.test.ts.
 */
export function usePasswordScrypt(params: ScryptParams): void {
  currentScrypt = params
  DUMMY_PASSWORD_HASH = dummyHash(params)
}

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
