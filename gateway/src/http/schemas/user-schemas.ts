import { z } from 'zod'
import { ROLES } from '../../registry/types'
import { evenIfInvalid, nonEmptyPatch, optionalText, password, recordId } from './common'
import { page, timestamp } from './responses'

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

/** A user as the API shows it (user-store.ts COLUMNS: never the password hash). */
export const userView = z.object({
  id: z.string(),
  tenantId: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  policeStationId: z.string().nullable(),
  displayName: z.string().nullable(),
  disabled: z.boolean(),
  createdAt: timestamp,
})

export const userPage = page(userView)

/** GET /me: the caller's own profile. */
export const profileView = userView.omit({ disabled: true })

export const loginView = z.object({
  token: z.string().describe('the bearer token'),
  expiresAt: timestamp,
  user: userView.pick({ id: true, username: true, role: true, tenantId: true, policeStationId: true }),
})

export const tenantView = z.object({ id: z.string(), name: z.string(), createdAt: timestamp })

export const createdTenantView = tenantView.extend({ admin: z.object({ id: z.string(), username: z.string() }) })

export const tenantPage = page(tenantView)
