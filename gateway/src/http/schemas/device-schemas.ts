import { z } from 'zod'
import { DEVICE_ID_PATTERN } from '../../registry/device-auth.js'
import { pageQuery } from '../pagination.js'
import { recordId } from './common.js'

export const createDeviceBody = z.object({
  elderId: recordId,
  kind: z.enum(['watch', 'camera']),
  // A maker's id becomes an MQTT topic level (eg/v1/<id>/...): no '/', '+', '#' or spaces.
  id: z.string().regex(DEVICE_ID_PATTERN, 'letters, digits, _ and -, 3 to 64 characters').optional(),
})

export const listDevicesQuery = pageQuery.extend({ elderId: recordId.optional() })
