import { z } from 'zod'
import { DEVICE_ID_PATTERN } from '../../registry/device-auth.js'
import { DEVICE_PROTOCOLS } from '../../registry/types.js'
import { WATCH_NUMBER_PATTERN } from '../../watch/identity.js'
import { pageQuery } from '../pagination.js'
import { recordId } from './common.js'

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
