import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { devicePrefix } from '../../../../contract/topics'
import { EgError } from '../../errors'
import { recordAudit } from '../../registry/audit-store'
import { deleteDevice, getDevice, insertDevice, listDevices, NO_SECRET, rotateDeviceSecret } from '../../registry/device-store'
import { generateDeviceSecret, hashDeviceSecret } from '../../registry/secrets'
import type { Device } from '../../registry/types'
import type { HttpDeps } from '../deps'
import { STAFF, auditBy, userOf } from '../auth'
import { idParams } from '../pagination'
import { requireElder } from '../references'
import { createDeviceBody, createdDeviceView, deviceDetailView, devicePage, listDevicesQuery, rotatedSecretView } from '../schemas/device-schemas'
import { bearerErrors, bodyErrors, noContent } from '../schemas/responses'
import type { ZodTypeProvider } from '../zod-provider'

/** DESIGN §3: clientId = username = deviceId, topics under eg/v1/<deviceId>/. */
function mqttSettings(deviceId: string) {
  return { clientId: deviceId, username: deviceId, topicPrefix: devicePrefix(deviceId) }
}

function deviceView(device: Device) {
  const { tenantId: _tenantId, ...rest } = device
  return rest
}

/** How the device connects: MQTT settings, or (protocol "watch") its number — it has no secret. */
function connectionOf(device: Device) {
  return device.protocol === 'watch' ? {} : { mqtt: mqttSettings(device.id) }
}

export function deviceRoutes(deps: Pick<HttpDeps, 'db' | 'deviceAuth' | 'onWatchRegistered' | 'onWatchRemoved'>): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const config = { roles: STAFF }
    const tags = ['devices']
    const createSchema = {
      operationId: 'createDevice',
      summary: 'Register a device: its MQTT secret is in this answer only',
      tags,
      body: createDeviceBody,
      response: { 201: createdDeviceView.meta({ description: 'created' }), ...bearerErrors('CONFLICT'), ...bodyErrors },
    }
    const rotateSchema = {
      operationId: 'rotateDeviceSecret',
      summary: "A new device secret: the old one stops working at once (409 for a watch-protocol device, which has none)",
      tags,
      params: idParams,
      response: { 200: rotatedSecretView, ...bearerErrors('NOT_FOUND', 'CONFLICT'), ...bodyErrors },
    }
    const listSchema = {
      operationId: 'listDevices',
      summary: 'List devices, with their status',
      tags,
      querystring: listDevicesQuery,
      response: { 200: devicePage, ...bearerErrors() },
    }
    const getSchema = {
      operationId: 'getDevice',
      summary: 'One device, with how it connects',
      tags,
      params: idParams,
      response: { 200: deviceDetailView, ...bearerErrors('NOT_FOUND') },
    }
    const deleteSchema = {
      operationId: 'deleteDevice',
      summary: 'Delete a device: its secret stops working, a connected watch is closed',
      tags,
      params: idParams,
      response: { 204: noContent, ...bearerErrors('NOT_FOUND'), ...bodyErrors },
    }

    // The secret is in this response and the rotation response only; the database keeps a hash.
    app.post('/devices', { config, schema: createSchema }, async (request, reply) => {
      const actor = userOf(request)
      const body = request.body
      // DESIGN §3b: a watch-protocol device has no secret (its protocol has none) — nothing to show.
      const secret = body.protocol === 'watch' ? undefined : generateDeviceSecret()
      const device = await deps.db.transaction(async (tx) => {
        await requireElder(tx, actor.tenantId, body.elderId)
        const created = await insertDevice(tx, actor.tenantId, {
          id: body.id ?? randomUUID(),
          elderId: body.elderId,
          kind: body.kind,
          secretHash: secret === undefined ? NO_SECRET : hashDeviceSecret(secret),
          protocol: body.protocol,
          crs: body.crs,
          ...(body.imei !== undefined ? { imei: body.imei } : {}),
          ...(body.clockOffsetMinutes !== undefined ? { clockOffsetMinutes: body.clockOffsetMinutes } : {}),
        })
        await recordAudit(tx, auditBy(actor, 'device.create', created.id, { elderId: created.elderId, kind: created.kind, protocol: created.protocol, crs: created.crs }))
        return created
      })
      // A connect attempt before creation may have cached "no such device".
      deps.deviceAuth.invalidate(device.id)
      if (device.imei !== null) deps.onWatchRegistered?.(device.imei)
      return reply.status(201).send({ ...deviceView(device), ...(secret === undefined ? {} : { secret }), ...connectionOf(device) })
    })

    app.post('/devices/:id/rotate-secret', { config, schema: rotateSchema }, async (request) => {
      const actor = userOf(request)
      const secret = generateDeviceSecret()
      await deps.db.transaction(async (tx) => {
        const device = await getDevice(tx, actor.tenantId, request.params.id)
        if (device === null) throw new EgError('NOT_FOUND', 'device not found')
        // Giving a watch-protocol device a secret would open MQTT to it: its protocol has none.
        if (device.protocol === 'watch') throw new EgError('CONFLICT', 'a watch-protocol device has no secret to rotate')
        if (!(await rotateDeviceSecret(tx, actor.tenantId, request.params.id, hashDeviceSecret(secret)))) {
          throw new EgError('NOT_FOUND', 'device not found')
        }
        await recordAudit(tx, auditBy(actor, 'device.rotate_secret', request.params.id))
      })
      // After commit: the old secret must stop working at once on this gateway.
      deps.deviceAuth.invalidate(request.params.id)
      return { id: request.params.id, secret }
    })

    app.get('/devices', { config, schema: listSchema }, async (request) => {
      const { elderId, ...page } = request.query
      const result = await listDevices(deps.db, userOf(request).tenantId, { elderId }, page)
      return { ...result, items: result.items.map(deviceView) }
    })

    app.get('/devices/:id', { config, schema: getSchema }, async (request) => {
      const device = await getDevice(deps.db, userOf(request).tenantId, request.params.id)
      if (device === null) throw new EgError('NOT_FOUND', 'device not found')
      return { ...deviceView(device), ...connectionOf(device) }
    })

    app.delete('/devices/:id', { config, schema: deleteSchema }, async (request, reply) => {
      const actor = userOf(request)
      const imei = await deps.db.transaction(async (tx) => {
        const device = await getDevice(tx, actor.tenantId, request.params.id)
        if (device === null || !(await deleteDevice(tx, actor.tenantId, request.params.id))) throw new EgError('NOT_FOUND', 'device not found')
        await recordAudit(tx, auditBy(actor, 'device.delete', request.params.id))
        return device.imei
      })
      deps.deviceAuth.invalidate(request.params.id)
      // A deleted watch's open connection is closed, and its number forgotten, at once.
      if (imei !== null) deps.onWatchRemoved?.(imei)
      return reply.status(204).send()
    })
  }
}
