import { z } from 'zod'
import { NOTICE_LANGUAGES } from '../../registry/types'
import { httpUrl, nonEmptyPatch, noticeLanguage, shortText } from './common'
import { page, timestamp } from './responses'

// The HMAC key for X-Eldergate-Signature (DESIGN §4): 16 characters at least so a station
// cannot be configured with a guessable key.
const secret = z.string().min(16).max(256)

const stationFields = {
  name: shortText(200),
  webhookUrl: httpUrl,
  secret,
  format: z.enum(['json', 'cap']),
  // The language the station's notices are written in (DESIGN §4); zh-CN unless it asks.
  language: noticeLanguage.default('zh-CN'),
}

export const createPoliceStationBody = z.object(stationFields)

export const patchPoliceStationBody = z
  .object({
    name: stationFields.name.optional(),
    webhookUrl: httpUrl.optional(),
    secret: secret.optional(),
    format: stationFields.format.optional(),
    language: noticeLanguage.optional(),
  })
  .refine(nonEmptyPatch, 'nothing to change')

/** A police station as the API shows it: the webhook secret is never returned. */
export const policeStationView = z.object({
  id: z.string(),
  name: z.string(),
  webhookUrl: z.string(),
  format: z.enum(['json', 'cap']),
  language: z.enum(NOTICE_LANGUAGES),
  createdAt: timestamp,
  updatedAt: timestamp,
})

export const policeStationPage = page(policeStationView)
