import { z } from 'zod'

/**
 * `?limit=&offset=` on every list route: default 100, at most 1000 so one request cannot pull
 * a whole county's registry into memory; lists answer `{ items, total, limit, offset }`.
 */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
})

/** Path parameter `:id`: registry ids are UUIDs or device makers' ids, never longer than this. */
export const idParams = z.object({ id: z.string().min(1).max(128) })
