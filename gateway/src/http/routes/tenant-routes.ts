import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { EgError } from '../../errors'
import { recordAudit } from '../../registry/audit-store'
import { hashPassword } from '../../registry/secrets'
import { firstTenantId, getTenant, insertTenant, listTenants } from '../../registry/tenant-store'
import { insertUser } from '../../registry/user-store'
import type { Queryable } from '../../storage/db'
import type { HttpDeps } from '../deps'
import { ADMIN, auditBy, userOf, type AuthUser } from '../auth'
import { pageQuery } from '../pagination'
import { createTenantBody, createdTenantView, tenantPage } from '../schemas/user-schemas'
import { bearerErrors, bodyErrors } from '../schemas/responses'
import type { ZodTypeProvider } from '../zod-provider'

/** Admins of the bootstrap (first) tenant run the installation: only they create tenants. */
async function isInstallationAdmin(q: Queryable, user: AuthUser): Promise<boolean> {
  return user.role === 'admin' && (await firstTenantId(q)) === user.tenantId
}

export function tenantRoutes(deps: Pick<HttpDeps, 'db'>): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()

    const createSchema = {
      operationId: 'createTenant',
      summary: 'Create a tenant with its first admin (admins of the first tenant)',
      tags: ['tenants'],
      body: createTenantBody,
      response: { 201: createdTenantView.meta({ description: 'created' }), ...bearerErrors('CONFLICT'), ...bodyErrors },
    }
    app.post('/tenants', { config: { roles: ADMIN }, schema: createSchema }, async (request, reply) => {
      const actor = userOf(request)
      if (!(await isInstallationAdmin(deps.db, actor))) throw new EgError('FORBIDDEN', 'only admins of the first tenant create tenants')
      const { name, adminUsername, adminPassword } = request.body
      const passwordHash = await hashPassword(adminPassword)
      const created = await deps.db.transaction(async (tx) => {
        const tenant = await insertTenant(tx, { id: randomUUID(), name })
        const admin = await insertUser(tx, { id: randomUUID(), tenantId: tenant.id, username: adminUsername, passwordHash, role: 'admin' })
        // Recorded in the creating admin's tenant (who did it) and in the new one (its origin).
        await recordAudit(tx, auditBy(actor, 'tenant.create', tenant.id, { name, adminUsername }))
        await recordAudit(tx, { ...auditBy(actor, 'tenant.create', tenant.id, { name, adminUsername }), tenantId: tenant.id })
        return { ...tenant, admin: { id: admin.id, username: admin.username } }
      })
      return reply.status(201).send(created)
    })

    // Installation admins see every tenant; other admins see their own.
    const listSchema = {
      operationId: 'listTenants',
      summary: 'List tenants: every tenant for admins of the first tenant, else your own',
      tags: ['tenants'],
      querystring: pageQuery,
      response: { 200: tenantPage, ...bearerErrors() },
    }
    app.get('/tenants', { config: { roles: ADMIN }, schema: listSchema }, async (request) => {
      const actor = userOf(request)
      if (await isInstallationAdmin(deps.db, actor)) return listTenants(deps.db, request.query)
      const own = await getTenant(deps.db, actor.tenantId)
      const items = own === null || request.query.offset > 0 ? [] : [own]
      return { items, total: own === null ? 0 : 1, ...request.query }
    })
  }
}
