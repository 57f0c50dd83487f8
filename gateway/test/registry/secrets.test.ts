import { describe, expect, it } from 'vitest'
import {
  generateDeviceSecret,
  generateToken,
  hashDeviceSecret,
  hashPassword,
  hashToken,
  verifyDeviceSecret,
  verifyPassword,
} from '../../src/registry/secrets'

describe('secrets', () => {
  it('hash passwords with salted scrypt and verify them', async () => {
    const hash = await hashPassword('correct horse')
    expect(hash).toMatch(/^scrypt\$[0-9a-f]{32}\$[0-9a-f]{64}$/)
    expect(await hashPassword('correct horse')).not.toBe(hash)
    expect(await verifyPassword('correct horse', hash)).toBe(true)
    expect(await verifyPassword('wrong horse', hash)).toBe(false)
    expect(await verifyPassword('correct horse', 'garbage')).toBe(false)
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
