import { randomBytes, scryptSync } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import { TEST_PASSWORD_SCRYPT } from '../../../test/support/password-hashing'
import {
  DUMMY_PASSWORD_HASH,
  PASSWORD_SCRYPT,
  checkPassword,
  generateDeviceSecret,
  generateToken,
  hashDeviceSecret,
  hashPassword,
  hashToken,
  usePasswordScrypt,
  verifyDeviceSecret,
  verifyPassword,
} from '../../src/registry/secrets'

describe('secrets', () => {
  it('hash passwords with salted scrypt at OWASP parameters, stored with the hash, and verify them', async () => {
    // OWASP Password Storage Cheat Sheet: N=2^17, r=8, p=1 — what the gateway runs with (this
    // suite's setup file lowers it for speed; here the real parameters, Node's maxmem raised).
    expect(PASSWORD_SCRYPT).toEqual({ N: 131_072, r: 8, p: 1 })
    usePasswordScrypt(PASSWORD_SCRYPT)
    onTestFinished(() => usePasswordScrypt(TEST_PASSWORD_SCRYPT))
    const hash = await hashPassword('correct horse')
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}$/)
    expect(DUMMY_PASSWORD_HASH).toMatch(/^scrypt\$131072\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}$/)
    expect(await hashPassword('correct horse')).not.toBe(hash)
    expect(await verifyPassword('correct horse', hash)).toBe(true)
    expect(await verifyPassword('wrong horse', hash)).toBe(false)
    expect(await verifyPassword('correct horse', 'garbage')).toBe(false)
    expect(await checkPassword('correct horse', hash)).toEqual({ ok: true, rehash: false })
  })

  it('verify hashes from before the parameters were stored (N=2^14) and ask for a re-hash', async () => {
    const salt = randomBytes(16)
    const legacy = `scrypt$${salt.toString('hex')}$${scryptSync('correct horse', salt, 32, { N: 16_384, r: 8, p: 1 }).toString('hex')}`
    expect(await checkPassword('correct horse', legacy)).toEqual({ ok: true, rehash: true })
    // A wrong password is never re-hashed.
    expect(await checkPassword('wrong horse', legacy)).toEqual({ ok: false, rehash: false })
    // Stored parameters are honoured: a hash made at N=2^15 verifies and is brought up to date.
    const older = await hashPassword('correct horse', { N: 32_768, r: 8, p: 1 })
    expect(older).toMatch(/^scrypt\$32768\$8\$1\$/)
    expect(await checkPassword('correct horse', older)).toEqual({ ok: true, rehash: true })
  })

  it('refuse stored parameters out of bounds instead of running them (a tampered row)', async () => {
    const salt = '00'.repeat(16)
    const hash = '00'.repeat(32)
    for (const params of ['1073741824$8$1', '131072$1024$1', '131072$8$64', '100000$8$1', '0$8$1', '131072$8$x', '-131072$8$1']) {
      expect(await checkPassword('x', `scrypt$${params}$${salt}$${hash}`), params).toEqual({ ok: false, rehash: false })
    }
    expect(await checkPassword('x', `scrypt$131072$8$1$zz$${hash}`)).toEqual({ ok: false, rehash: false })
  })

  it('make 256-bit device secrets stored as salted sha256', () => {
    const secret = generateDeviceSecret()
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const hash = hashDeviceSecret(secret)
    expect(hash).toMatch(/^sha256\$[0-9a-f]{32}\$[0-9a-f]{64}$/)
    expect(hashDeviceSecret(secret)).not.toBe(hash)
    expect(verifyDeviceSecret(secret, hash)).toBe(true)
    expect(verifyDeviceSecret(`${secret}x`, hash)).toBe(false)
    expect(verifyDeviceSecret(secret, 'scrypt$00$00')).toBe(false)
  })

  it('store only a hash of bearer tokens', () => {
    const token = generateToken()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/)
    expect(hashToken(token)).toBe(hashToken(token))
  })
})
