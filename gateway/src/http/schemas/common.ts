import { z } from 'zod'
import { PASSWORD_MIN_LENGTH, passwordWeakness } from '../../registry/password-policy'
import { NOTICE_LANGUAGES } from '../../registry/types'

/** Field rules shared by several request schemas. */
export const latitude = z.number().min(-90).max(90)
export const longitude = z.number().min(-180).max(180)
export const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048)
export const shortText = (max = 200) => z.string().trim().min(1).max(max)
export const optionalText = (max = 200) => z.string().trim().max(max).nullable().optional()
/** A new password: registry/password-policy.ts (length, not common, not repetitive). */
export const password = z
  .string()
  .describe(`at least ${PASSWORD_MIN_LENGTH} characters, not a common password`)
  .superRefine((value, ctx) => {
    const weakness = passwordWeakness(value)
    if (weakness !== null) ctx.addIssue({ code: 'custom', message: weakness })
  })
export const recordId = z.string().min(1).max(128)
/** At least one field must be present in a PATCH body. */
export const nonEmptyPatch = (value: object) => Object.values(value).some((v) => v !== undefined)
/**
 * Cross-field checks run even when another field already failed, so one 400 names every bad
 * field (zod skips refinements after a failure by default). They only test presence, which is
 * safe on input that did not parse.
 */
export const evenIfInvalid = { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null }
/** A notice recipient's language (police stations, contacts): one every notice template has. */
export const noticeLanguage = z.enum(NOTICE_LANGUAGES, { error: `one of ${NOTICE_LANGUAGES.join(', ')}` })
