import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { EgError } from '../../errors'
import { recordAudit } from '../../registry/audit-store'
import { hashPassword } from '../../registry/secrets'
import { deleteTokensOfUser } from '../../registry/token-store'
import { getUser, insertUser, listUsers, updateUser, type UserPatch } from '../../registry/user-store'
import type { HttpDeps } from '../deps'
import { ADMIN, auditBy, userOf } from '../auth'
import { idParams, pageQuery } from '../pagination'
import { requirePoliceStation } from '../references'
import { createUserBody, patchUserBody, userPage, userView } from '../schemas/user-schemas'
import { bearerErrors, bodyErrors } from '../schemas/responses'
import type { ZodTypeProvider } from '../zod-provider'

/** Users of the caller's tenant: admins only. */
export function userRoutes(deps: Pick<HttpDeps, 'db'>): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const config = { roles: ADMIN }

    const tags = ['users']
    const createSchema = {
      operationId: 'createUser',
      summary: 'Create a user in your tenant',
      tags,
      body: createUserBody,
      response: { 201: userView.meta({ description: 'created' }), ...bearerErrors('CONFLICT'), ...bodyErrors },
    }
    app.post('/users', { config, schema: createSchema }, async (request, reply) => {
      const actor = userOf(request)
      const body = request.body
      const passwordHash = await hashPassword(body.password)
      const user = await deps.db.transaction(async (tx) => {
        await requirePoliceStation(tx, actor.tenantId, body.policeStationId)
        const created = await insertUser(tx, {
          id: randomUUID(),
          tenantId: actor.tenantId,
          username: body.username,
          passwordHash,
          role: body.role,
          policeStationId: body.policeStationId,
          displayName: body.displayName,
        })
        await recordAudit(tx, auditBy(actor, 'user.create', created.id, { username: created.username, role: created.role }))
        return created
      })
      return reply.status(201).send(user)
    })

    const listSchema = { operationId: 'listUsers', summary: 'List the users of your tenant', tags, querystring: pageQuery, response: { 200: userPage, ...bearerErrors() } }
    app.get('/users', { config, schema: listSchema }, async (request) =>
      listUsers(deps.db, userOf(request).tenantId, request.query),
    )

    const getSchema = { operationId: 'getUser', summary: 'One user', tags, params: idParams, response: { 200: userView, ...bearerErrors('NOT_FOUND') } }
    app.get('/users/:id', { config, schema: getSchema }, async (request) => {
      const user = await getUser(deps.db, userOf(request).tenantId, request.params.id)
      if (user === null) throw new EgError('NOT_FOUND', 'user not found')
      return user
    })

    const patchSchema = {
      operationId: 'updateUser',
      summary: "Change a user's role, password, station or name, or disable it (its sessions end)",
      tags,
      params: idParams,
      body: patchUserBody,
      response: { 200: userView, ...bearerErrors('NOT_FOUND'), ...bodyErrors },
    }
    app.patch('/users/:id', { config, schema: patchSchema }, async (request) => {
      const actor = userOf(request)
      const { password, ...fields } = request.body
      // An admin cannot lock themself out; another admin can do it if it is really meant.
      if (request.params.id === actor.id && ((fields.role !== undefined && fields.role !== 'admin') || fields.disabled === true)) {
        throw new EgError('VALIDATION_FAILED', 'you cannot demote or disable yourself', {
          fields: [{ path: fields.disabled === true ? 'disabled' : 'role', message: 'not on your own account' }],
        })
      }
      const patch: UserPatch = { ...fields }
      if (password !== undefined) patch.passwordHash = await hashPassword(password)
      // New password, role or station, or disabled: sessions issued under the old ones end now.
      const sessionsEnd = password !== undefined || fields.role !== undefined || fields.disabled === true || fields.policeStationId !== undefined
      const user = await deps.db.transaction(async (tx) => {
        const before = await getUser(tx, actor.tenantId, request.params.id)
        if (before === null) throw new EgError('NOT_FOUND', 'user not found')
        await requirePoliceStation(tx, actor.tenantId, patch.policeStationId)
        const role = patch.role ?? before.role
        const station = patch.policeStationId === undefined ? before.policeStationId : patch.policeStationId
        if (role === 'police' && station === null) {
          throw new EgError('VALIDATION_FAILED', 'invalid body', { fields: [{ path: 'policeStationId', message: 'required for role police' }] })
        }
        const updated = await updateUser(tx, actor.tenantId, request.params.id, patch)
        if (updated === null) throw new EgError('NOT_FOUND', 'user not found')
        if (sessionsEnd) await deleteTokensOfUser(tx, actor.tenantId, updated.id)
        await recordAudit(
          tx,
          auditBy(actor, 'user.update', updated.id, { ...fields, passwordChanged: password !== undefined || undefined }),
        )
        return updated
      })
      // After the commit, with the tokens gone: open live streams end now too — a stream's
      // visibility was decided for the old role and station.
      if (sessionsEnd) request.server.liveSessions.endUser(user.id, 'session ended by an admin')
      return user
    })
  }
}
