import type { FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { sameSecret, type Decision, type Verdict, type VerdictReason } from '../../broker-external/cluster-access'
import { decodeBrokerRequest, presentedSecret, type RequestProblem } from './request'

/**
 * One broker auth request from arrival to verdict, failing closed at every step: the shared
 * secret, the request's shape, the fields the endpoint needs, the registry lookup. Only
 * ClusterAccess (cluster-access.ts) can say `allow` (or `ignore`); every failure here is
 * `deny`, and each endpoint renders it the way its broker reads deny.
 */
export type JudgementReason = VerdictReason | RequestProblem | 'shared_secret' | 'missing_fields' | 'lookup_failed'

export interface Judgement {
  verdict: Verdict
  reason: JudgementReason
  superuser: boolean
}

export interface JudgeDeps {
  /** EG_BROKER_AUTH_SECRET. */
  secret: string
}

export const denied = (reason: JudgementReason): Judgement => ({ verdict: 'deny', reason, superuser: false })

export async function judge<S extends z.ZodType>(
  request: FastifyRequest,
  deps: JudgeDeps,
  fields: S,
  decide: (fields: z.infer<S>) => Promise<Decision>,
): Promise<Judgement> {
  const url = request.url.split('?')[0]
  const given = presentedSecret(request)
  if (given === undefined || !sameSecret(given, deps.secret)) {
    request.log.warn({ remoteAddress: request.ip, url }, 'broker auth call without the shared secret: answered deny')
    return denied('shared_secret')
  }
  const decoded = await decodeBrokerRequest(request)
  if (!decoded.ok) {
    request.log.warn({ url, problem: decoded.problem, contentType: request.headers['content-type'] }, 'broker auth request unreadable: answered deny')
    return denied(decoded.problem)
  }
  const parsed = fields.safeParse(decoded.fields)
  if (!parsed.success) {
    // Field names only: values may be passwords.
    request.log.warn({ url, fields: Object.keys(decoded.fields), issues: parsed.error.issues.map((i) => i.path.join('.')) }, 'broker auth request lacks fields: answered deny')
    return denied('missing_fields')
  }
  try {
    const decision = await decide(parsed.data)
    request.log.debug({ url, verdict: decision.verdict, reason: decision.reason }, 'broker auth answered')
    return decision
  } catch (err) {
    // The registry is unreachable: deny now; the device retries (EMQX reads an HTTP error as
    // `ignore`, which would hand a device to the next authorizer or `no_match`).
    request.log.error({ err, url }, 'broker auth lookup failed: answered deny')
    return denied('lookup_failed')
  }
}
