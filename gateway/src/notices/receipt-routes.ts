import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { appendChange, type Change } from '../stream/change-log-store'
import { EgError } from '../errors'
import { idParams } from '../http/pagination'
import { security } from '../http/schemas/security'
import { bodyErrors, errorResponses } from '../http/schemas/responses'
import { issuesToFields, useZodSchemas, type ZodTypeProvider } from '../http/zod-provider'
import type { Logger } from '../logger'
import type { Db } from '../storage/db'
import { findSigningTarget } from './delivery-store'
import { findNoticeForReceipt, recordReceipt } from './notice-store'
import { noticeStatus, receiptView } from './notice-routes'
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyNoticeSignature } from './signature'

/**
 * `POST /api/v1/notices/:id/receipt` — a station (or a family webhook) answers a notice:
 * received, accepted, closed, with its case number ("every case gets an answer", DESIGN §1).
 * No bearer token (DESIGN §4 "except … signed police receipts"): the request is signed with
 * the notice's own secret, in the scheme the notice itself used, over the RAW body — so this
 * plugin keeps its own content-type parser that hands the bytes over unparsed, and must be
 * mounted OUTSIDE the authenticated /api/v1 scope.
 */
export const receiptBody = z.object({
  status: z.enum(['received', 'accepted', 'closed']),
  caseNumber: z.string().trim().min(1).max(100).optional(),
  note: z.string().max(2_000).optional(),
})

export interface NoticeReceiptDeps {
  db: Db
  logger?: Logger
  clock?: () => number
  /** The receipt's change-log entry, after its commit (the live stream). */
  onChanges?: (changes: readonly Change[]) => void
}

/** A receipt is a few hundred bytes; nothing larger is read before the signature is checked. */
const RECEIPT_BODY_LIMIT = 16 * 1024

const receiptSchema = {
  operationId: 'postNoticeReceipt',
  summary: 'A station (or family webhook) answers a notice: received, accepted or closed, with its case number',
  tags: ['notices'],
  security: security.noticeSignature,
  params: idParams,
  docs: {
    body: {
      schema: receiptBody,
      contentTypes: ['application/json'],
      description: "signed over these exact bytes with the notice's secret (see the security scheme); read only once the signature holds",
    },
  },
  response: {
    200: z.object({ id: z.string(), status: noticeStatus.describe('receipted'), receipt: receiptView.nullable() }).meta({ description: 'recorded' }),
    ...errorResponses(['VALIDATION_FAILED', 'UNAUTHENTICATED', 'NOT_FOUND', 'INTERNAL', 'STORAGE_UNAVAILABLE']),
    413: bodyErrors[413],
  },
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}

export function noticeReceiptRoutes(deps: NoticeReceiptDeps): FastifyPluginAsync {
  const clock = deps.clock ?? Date.now
  return async (plain) => {
    // Its own, as the app sets them too: the plugin does not depend on where it is registered.
    useZodSchemas(plain)
    plain.removeAllContentTypeParsers()
    plain.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: RECEIPT_BODY_LIMIT }, (_request, body, done) => done(null, body))
    const app = plain.withTypeProvider<ZodTypeProvider>()

    app.post('/notices/:id/receipt', { schema: receiptSchema }, async (request) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      const notice = await findNoticeForReceipt(deps.db, request.params.id)
      if (notice === null) throw new EgError('NOT_FOUND', 'notice not found')
      const target = await findSigningTarget(deps.db, notice)
      const check = target
        ? verifyNoticeSignature(target.secret, header(request, TIMESTAMP_HEADER), header(request, SIGNATURE_HEADER), raw, clock())
        : { ok: false as const, reason: 'no secret to verify receipts for this notice' }
      if (!check.ok) {
        deps.logger?.warn({ noticeId: notice.id, reason: check.reason, ip: request.ip }, 'notice receipt refused')
        throw new EgError('UNAUTHENTICATED', `receipt signature refused: ${check.reason}`)
      }
      let json: unknown
      try {
        json = JSON.parse(raw.toString('utf8'))
      } catch {
        throw new EgError('VALIDATION_FAILED', 'request body is not valid JSON')
      }
      const parsed = receiptBody.safeParse(json)
      if (!parsed.success) throw new EgError('VALIDATION_FAILED', 'invalid body', { fields: issuesToFields(parsed.error, 'body') })
      const receipt = parsed.data
      const result = await deps.db.transaction(async (tx) => {
        const updated = await recordReceipt(tx, notice.tenantId, notice.id, receipt, new Date(clock()))
        if (updated === null) throw new EgError('NOT_FOUND', 'notice not found')
        const change = await appendChange(tx, updated.tenantId, 'notice', updated.id, { change: 'receipted', notice: updated })
        return { updated, change }
      })
      deps.logger?.info({ noticeId: notice.id, receipt: receipt.status, caseNumber: receipt.caseNumber }, 'notice receipt recorded')
      deps.onChanges?.([result.change])
      return { id: result.updated.id, status: result.updated.status, receipt: result.updated.receipt }
    })
  }
}
