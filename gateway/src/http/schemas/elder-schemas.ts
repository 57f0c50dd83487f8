import { z } from 'zod'
import { riskLevels } from '../../../../contract/levels'
import { crsSchema } from '../../geo/crs'
import { NOTICE_LANGUAGES } from '../../registry/types'
import { crsParam } from '../crs-edge'
import { pageQuery } from '../pagination'
import { httpUrl, latitude, longitude, nonEmptyPatch, noticeLanguage, optionalText, recordId, shortText } from './common'
import { page, timestamp } from './responses'

// A home geofence beyond a few km would call a whole town "home" and hide absences.
export const homeRadiusM = z.number().positive().max(5_000)
/** DESIGN §4: a home picked on AMap or Baidu comes in their datum; stored as WGS-84. */
export const homeCrs = crsSchema.describe('the coordinate system of lat/lon: wgs84 (GPS, the default), gcj02 (AMap, Tencent), bd09 (Baidu)')

const home = z.object({
  lat: latitude,
  lon: longitude,
  radiusM: homeRadiusM.optional(),
  crs: homeCrs,
})

export const phone = z.string().regex(/^\+?[0-9 ()-]{3,32}$/, 'digits, spaces, ( ) - and a leading +')
export const elderLanguage = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as zh-CN')

const contact = z.object({
  name: shortText(100),
  relation: z.string().trim().max(50).optional(),
  phone: phone.optional(),
  webhookUrl: httpUrl.optional(),
  // Signs the webhook notices sent to this contact; write-only.
  secret: z.string().min(16).max(256).optional(),
  // The language of this contact's notices (DESIGN §4), not the elder's: a son abroad may read English.
  language: noticeLanguage.default('zh-CN'),
})

/** DESIGN §3 time: epoch milliseconds or an ISO-8601 string; stored as epoch ms. */
const instant = z
  .union([z.number().int().nonnegative(), z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO-8601 time')], {
    error: 'epoch milliseconds or an ISO-8601 time',
  })
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))

const expectedAway = z
  .object({ from: instant, to: instant, note: z.string().max(200).optional() })
  .refine((a) => a.to > a.from, { path: ['to'], message: 'must be after from' })

const elderFields = {
  name: shortText(100),
  home,
  language: elderLanguage.optional(),
  policeStationId: recordId.nullable().optional(),
  phone: phone.nullable().optional(),
  address: optionalText(300),
  area: optionalText(100),
  // Bounds keep one elder's record small; no county has 20 contacts per elder.
  contacts: z.array(contact).max(20).optional(),
  expectedAway: z.array(expectedAway).max(100).optional(),
}

export const createElderBody = z.object(elderFields)

/** PATCH: any subset; `home` is replaced whole; `contacts` and `expectedAway` replace the lists. */
export const patchElderBody = z
  .object({ ...elderFields, name: elderFields.name.optional(), home: home.optional() })
  .refine(nonEmptyPatch, 'nothing to change')

export const listEldersQuery = pageQuery.extend({
  area: z.string().max(100).optional(),
  q: z.string().trim().min(1).max(100).optional(),
  crs: crsParam,
})

export const riskLevel = z.enum(riskLevels)

/** An elder as the API shows it (elder-routes.ts elderView): contact secrets write-only, the current risk level added. */
export const elderView = z.object({
  id: z.string(),
  name: z.string(),
  home: z.object({ lat: z.number(), lon: z.number(), radiusM: z.number() }),
  language: z.string(),
  policeStationId: z.string().nullable(),
  phone: z.string().nullable(),
  address: z.string().nullable(),
  area: z.string().nullable(),
  contacts: z.array(
    z.object({
      name: z.string(),
      relation: z.string().optional(),
      phone: z.string().optional(),
      webhookUrl: z.string().optional(),
      language: z.enum(NOTICE_LANGUAGES),
      hasSecret: z.boolean().describe('whether notices to this contact are signed (the secret itself is never shown)'),
    }),
  ),
  expectedAway: z.array(z.object({ from: z.number().describe('epoch ms'), to: z.number().describe('epoch ms'), note: z.string().optional() })),
  createdAt: timestamp,
  updatedAt: timestamp,
  riskLevel,
})

export const elderPage = page(elderView)
