import { z } from 'zod'
import { CRS_NAMES, crsSchema } from '../../geo/crs'
import { IMPORT_MAX_ROWS } from '../import-rows'
import { latitude, longitude, optionalText, shortText } from './common'
import { elderLanguage, homeCrs, homeRadiusM, phone } from './elder-schemas'
import { createVenueBody } from './venue-schemas'

/** Bulk imports (http/import-rows.ts): each row is checked like the single create route's body. */

export const importQuery = z.object({
  crs: crsSchema.describe("the coordinate system of the rows' positions (default wgs84); the JSON body's crs, then a row's own crs, override it"),
})

/** One elder as an import row: the profile fields a county's spreadsheet has, the home flat. */
export const elderImportRow = z.object({
  name: shortText(100),
  lat: latitude,
  lon: longitude,
  radiusM: homeRadiusM.optional(),
  crs: homeCrs,
  address: optionalText(300),
  phone: phone.nullable().optional(),
  language: elderLanguage.optional(),
  area: optionalText(100),
})

export const VENUE_CSV_COLUMNS = ['name', 'kind', 'lat', 'lon', 'radiusM', 'address', 'risky', 'crs'] as const
export const ELDER_CSV_COLUMNS = ['name', 'lat', 'lon', 'radiusM', 'crs', 'address', 'phone', 'language', 'area'] as const

const csvText = (columns: readonly string[]) =>
  z.string().describe(`text/csv, UTF-8: a header line naming some of ${columns.join(',')} (any order), then one row per line`)

const rows = <T extends z.ZodType>(row: T) => z.array(row).min(1).max(IMPORT_MAX_ROWS)
const fileCrs = z.enum(CRS_NAMES).optional().describe("the rows' coordinate system where a row gives none (default: ?crs=, else wgs84)")

/** For /docs: what the import routes read (they validate it themselves, row by row). */
export const venueImportBody = z.union([
  z.object({ crs: fileCrs, venues: rows(createVenueBody) }),
  csvText(VENUE_CSV_COLUMNS),
])
export const elderImportBody = z.union([z.object({ crs: fileCrs, elders: rows(elderImportRow) }), csvText(ELDER_CSV_COLUMNS)])

export const importedView = z.object({
  created: z.number().int(),
  ids: z.array(z.string()).describe('the new records, in the order of the rows'),
})
