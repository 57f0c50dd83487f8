import { z } from 'zod'
import { CRS_NAMES, crsSchema } from '../../geo/crs'
import { DEVICE_ID_PATTERN } from '../../registry/device-auth'
import { DEVICE_PROTOCOLS } from '../../registry/types'
import { WATCH_NUMBER_PATTERN } from '../../watch/identity'
import { pageQuery } from '../pagination'
import { recordId } from './common'
import { page, timestamp } from './responses'

export const createDeviceBody = z
  .object({
    elderId: recordId,
    kind: z.enum(['watch', 'camera']),
    // A maker's id becomes an MQTT topic level (eg/v1/<id>/...): no '/', '+', '#' or spaces.
    id: z.string().regex(DEVICE_ID_PATTERN, 'letters, digits, _ and -, 3 to 64 characters').optional(),
    /** DESIGN §3b: "watch" = a 4G watch on the TCP watch protocol, identified by its number. */
    protocol: z.enum(DEVICE_PROTOCOLS).default('mqtt'),
    imei: z.string().regex(WATCH_NUMBER_PATTERN, '10 to 15 digits').optional(),
    /** The watch's clock is local time this many minutes ahead of UTC (480 = China Standard Time). */
    clockOffsetMinutes: z.number().int().min(-720).max(840).optional(),
    /** DESIGN §4: what the device reports positions in; its fixes are converted to WGS-84 on arrival. */
    crs: crsSchema.describe('the coordinate system of the positions the device reports: wgs84 (GPS, the default), gcj02, bd09'),
  })
  .superRefine((body, ctx) => {
    if (body.protocol === 'watch') {
      if (body.kind !== 'watch') ctx.addIssue({ code: 'custom', path: ['kind'], message: 'the watch protocol is spoken by watches only' })
      if (body.imei === undefined) ctx.addIssue({ code: 'custom', path: ['imei'], message: "required with protocol \"watch\": the watch's own number" })
      return
    }
    if (body.imei !== undefined) ctx.addIssue({ code: 'custom', path: ['imei'], message: 'only with protocol "watch"' })
    if (body.clockOffsetMinutes !== undefined) ctx.addIssue({ code: 'custom', path: ['clockOffsetMinutes'], message: 'only with protocol "watch"' })
  })

export const listDevicesQuery = pageQuery.extend({ elderId: recordId.optional() })

/** A device as the API shows it (device-routes.ts deviceView): never its secret hash. */
export const deviceView = z.object({
  id: z.string(),
  elderId: z.string(),
  kind: z.enum(['watch', 'camera']),
  protocol: z.enum(DEVICE_PROTOCOLS),
  imei: z.string().nullable().describe('the watch\'s own number (protocol "watch")'),
  clockOffsetMinutes: z.number().nullable(),
  crs: z.enum(CRS_NAMES).describe('the coordinate system the device reports positions in (stored readings are WGS-84)'),
  lastFrame: z.object({ command: z.string(), at: timestamp }).nullable().describe('the newest watch-protocol frame'),
  online: z.boolean(),
  statusAt: timestamp.nullable(),
  lastSeenAt: timestamp.nullable(),
  battery: z.number().nullable(),
  rejected: z
    .object({ count: z.number(), lastAt: timestamp.nullable(), lastReason: z.string().nullable() })
    .describe("the device's payloads dropped by validation since it was created"),
  secretRotatedAt: timestamp,
  createdAt: timestamp,
})

/** How an MQTT device connects (DESIGN §3: clientId = username = deviceId); absent for protocol "watch". */
const mqttSettings = z.object({ clientId: z.string(), username: z.string(), topicPrefix: z.string() })

export const deviceDetailView = deviceView.extend({ mqtt: mqttSettings.optional() })

export const createdDeviceView = deviceDetailView.extend({
  secret: z.string().optional().describe('the MQTT password: shown here and on rotation only; none for protocol "watch"'),
})

export const rotatedSecretView = z.object({ id: z.string(), secret: z.string() })

export const devicePage = page(deviceView)
