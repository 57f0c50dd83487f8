import { dictionary } from '@zxcvbn-ts/language-common'

/**
 * What a new password must be (API users and tenants, and EG_ADMIN_PASSWORD when the first
 * start creates `admin`). Login accepts any stored password: the policy applies when one is set.
 *
 * - at least 10 characters: above the 8 that NIST SP 800-63B sets as the floor for a password
 *   checked against a blocklist, since these accounts read elders' addresses and movements;
 *   at most 1024 to bound scrypt's work on a hostile request;
 * - not a common password: the ~49,000 most common passwords of breach corpora, as the zxcvbn-ts
 *   project ships them (@zxcvbn-ts/language-common), compared without case — `Password123` is
 *   `password123`;
 * - not one character or a short pattern repeated (`aaaaaaaaaa`, `abababababab`): fewer than
 *   four different characters.
 */
export const PASSWORD_MIN_LENGTH = 10
export const PASSWORD_MAX_LENGTH = 1024
const MIN_DISTINCT = 4

const COMMON = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()))

/** Why this password may not be set, or null. Length in characters (code points), not bytes. */
export function passwordWeakness(password: string): string | null {
  const characters = [...password]
  if (characters.length < PASSWORD_MIN_LENGTH) return `at least ${PASSWORD_MIN_LENGTH} characters`
  if (characters.length > PASSWORD_MAX_LENGTH) return `at most ${PASSWORD_MAX_LENGTH} characters`
  if (COMMON.has(password.toLowerCase())) return 'too common: it is on the list of passwords attackers try first'
  if (new Set(characters).size < MIN_DISTINCT) return `too repetitive: use at least ${MIN_DISTINCT} different characters`
  return null
}
