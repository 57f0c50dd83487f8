import { promises as dns, type LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { Agent } from 'undici'
import type { WebhookPolicy } from './webhook-policy'

/**
 * The connection side of the webhook policy: every POST goes through an undici Agent whose
 * `connect.lookup` resolves the host once, refuses the connection if any address is not allowed,
 * and hands the checked addresses to the socket — so the address connected to is the address
 * checked, and a name that answers "public" to one query and "127.0.0.1" to the next (DNS
 * rebinding) cannot slip between check and connect. TLS still verifies the certificate against
 * the URL's host name: only the lookup is replaced.
 */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>

export const WEBHOOK_REFUSED = 'EG_WEBHOOK_REFUSED'

export class WebhookRefusedError extends Error {
  readonly code = WEBHOOK_REFUSED
  /** For lastError: names the host and the kind of address, not the address itself. */
  readonly reason: string

  constructor(reason: string, detail: string) {
    super(detail)
    this.name = 'WebhookRefusedError'
    this.reason = reason
  }
}

// verbatim: the resolver's own order, as Node's default lookup gives it.
const systemResolve: ResolveHost = (hostname) => dns.lookup(hostname, { all: true, verbatim: true })

/** A `net` lookup that refuses what the policy refuses; `resolve` is replaceable for tests. */
export function guardedLookup(policy: WebhookPolicy, resolve: ResolveHost = systemResolve): LookupFunction {
  return (hostname, options, callback) => {
    const answer = (err: NodeJS.ErrnoException | null, found: LookupAddress[]) =>
      // Outside the promise chain, so an exception in the socket's callback is not swallowed.
      process.nextTick(() => {
        const first = found[0]
        if (err !== null || first === undefined) callback(err ?? Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0)
        else if (options.all === true) callback(null, found)
        else callback(null, first.address, first.family)
      })
    resolve(hostname).then(
      (all) => {
        const found = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all
        // Every address, not only the first: a socket may fall back to any of them (happy eyeballs).
        for (const { address } of found) {
          const why = policy.refuseAddress(hostname, address)
          if (why !== null) return answer(new WebhookRefusedError(`${hostname} resolves to a ${why}`, `${hostname} resolves to ${address}: ${why}`), [])
        }
        answer(null, found)
      },
      (err: NodeJS.ErrnoException) => answer(err, []),
    )
  }
}

export function createWebhookDispatcher(policy: WebhookPolicy, resolve?: ResolveHost): Agent {
  return new Agent({ connect: { lookup: guardedLookup(policy, resolve) } })
}

/** The WebhookRefusedError behind an undici "fetch failed", if that is what it was. */
export function refusalOf(err: unknown): WebhookRefusedError | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof WebhookRefusedError) return e
  }
  return null
}
