import type { RuleInput } from '../../../rules/src/index'

/**
 * Silence is measured by arrival on the rule clock (DESIGN §5): on the wall clock an input
 * arrived when submit() queued it (or, replayed, when it was stored — already stamped); on the
 * event clock at the tenant's event time as it stood when the batch came in — or its own time,
 * if newer. One instant for the whole batch, not a clock run up input by input: a simulation at
 * ×20,000 turns a 100 ms stall of the event loop into half an hour of event time, and the
 * backlog of every device arrives in one batch — device A's half hour first must not make
 * device B, next in the same batch, half an hour late.
 *
 * `at`: the wall clock now (wall), or the tenant's event clock before this batch (event).
 */
export function stampArrivals(clock: 'wall' | 'event', at: number, inputs: readonly RuleInput[]): void {
  if (clock === 'wall') {
    for (const input of inputs) input.arrivedAt ??= at
    return
  }
  for (const input of inputs) input.arrivedAt = input.ts > at ? input.ts : at
}
