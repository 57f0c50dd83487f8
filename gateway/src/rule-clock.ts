/**
 * The rule clock (DESIGN §5, EG_CLOCK), owned by the composition root and read by everything
 * that counts time the way the rules do — voice prompt limits and expiry, escalation, alert
 * lifecycle. On the wall clock it is the wall clock; on the event clock it is each tenant's
 * newest event time, which the detection runtime moves as it evaluates inputs (and forgets
 * when it gives a tenant up). Created before either side, so neither has to reach for the other.
 */
export interface RuleClock {
  readonly mode: 'wall' | 'event'
  /** The tenant's rule time (epoch ms). */
  now(tenantId: string): number
}

export interface DrivenRuleClock extends RuleClock {
  /** EG_CLOCK=event: the tenant's event time reached `at` (never moves back). */
  advance(tenantId: string, at: number): void
  /** The tenant's engine is gone from this node (lease lost, reload): back to the wall clock until it returns. */
  forget(tenantId: string): void
}

export function createRuleClock(mode: 'wall' | 'event', wall: () => number = Date.now): DrivenRuleClock {
  const eventTimes = new Map<string, number>()
  return {
    mode,
    now(tenantId) {
      if (mode === 'wall') return wall()
      return eventTimes.get(tenantId) ?? wall()
    },
    advance(tenantId, at) {
      if (mode === 'wall' || !(at > 0)) return
      if (at > (eventTimes.get(tenantId) ?? 0)) eventTimes.set(tenantId, at)
    },
    forget(tenantId) {
      eventTimes.delete(tenantId)
    },
  }
}
