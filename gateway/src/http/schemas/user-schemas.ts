import { z } from 'zod'
import { ROLES } from '../../registry/types.js'
import { evenIfInvalid, nonEmptyPatch, optionalText, password, recordId } from './common.js'

/** Usernames appear in logs and the audit trail: keep them plain. */
export const username = z.string().regex(/^[A-Za-z0-9_.@-]{3,64}$/, 'letters, digits and _ . @ -, 3 to 64 characters')

const requirePoliceStation = (value: { role?: string | undefined; policeStationId?: string | null | undefined }, ctx: z.RefinementCtx) => {
  if (value.role === 'police' && (value.policeStationId === undefined || value.policeStationId === null)) {
    ctx.addIssue({ code: 'custom', path: ['policeStationId'], message: 'required for role police' })
  }
}

export const createUserBody = z
  .object({
    username,
    password,
    role: z.enum(ROLES),
    policeStationId: recordId.nullable().optional(),
    displayName: optionalText(),
  })
  .superRefine(requirePoliceStation, evenIfInvalid)

export const patchUserBody = z
  .object({
    role: z.enum(ROLES).optional(),
    password: password.optional(),
    disabled: z.boolean().optional(),
    policeStationId: recordId.nullable().optional(),
    displayName: optionalText(),
  })
  .refine(nonEmptyPatch, 'nothing to change')

export const createTenantBody = z.object({
  name: z.string().trim().min(1).max(200),
  adminUsername: username,
  adminPassword: password,
})
