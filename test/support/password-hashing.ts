import { usePasswordScrypt } from '../../gateway/src/registry/secrets'

/**
 * vitest setup file: password hashes in tests use scrypt N=2^13 instead of OWASP's 2^17 (128 MiB
 * and most of a second per hash on this machine), so suites that create users and log in
 * hundreds of times stay fast. 2^13 is neither the production cost nor the legacy 2^14, so
 * re-hash at login is exercised too. Gateways spawned as processes keep the real cost;
 * secrets.test.ts checks the real parameters.
 */
export const TEST_PASSWORD_SCRYPT = { N: 2 ** 13, r: 8, p: 1 }
usePasswordScrypt(TEST_PASSWORD_SCRYPT)
