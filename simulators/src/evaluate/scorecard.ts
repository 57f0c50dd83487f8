import { localIso } from '../core/clock'
import type { EvaluationResult } from './evaluation'
import { failingRules, PRECISION_TARGET, RECALL_TARGET, type RuleScore } from './score'

/**
 * The printed scorecard: a table per rule (planted, detected, missed, false alerts on
 * look-alikes and background elders, precision, recall, median time to detect), then every
 * miss and false alert with the gateway's own words as evidence, police notices and voice
 * prompts. Plain text: it goes into issue notes and CI logs.
 */
export function duration(ms: number | null): string {
  if (ms === null) return '—'
  const min = Math.round(ms / 60_000)
  if (min < 60) return `${min} min`
  const h = Math.floor(min / 60)
  if (h < 48) return `${h} h ${String(min % 60).padStart(2, '0')} m`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

const ratio = (v: number | null) => (v === null ? '—' : v.toFixed(2))

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
}

export function ruleTable(rules: readonly RuleScore[]): string[] {
  const head = ['rule', 'planted', 'detected', 'missed', 'false(look-alike)', 'false(background)', 'precision', 'recall', 'median detect']
  const body = rules.map((s) => [s.rule, String(s.planted), String(s.detected), String(s.missed), String(s.falseOnScenarios), String(s.falseOnBackground), ratio(s.precision), ratio(s.recall), duration(s.medianDetectMs)])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)))
  return [row(head, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map((r) => row(r, widths))]
}

/** `mqtt 30 · watch protocol 15 · HTTP ingest 5`, and what the protocol watches could not send. */
function protocolLine(run: EvaluationResult['run']): string {
  const names = { mqtt: 'MQTT', watch: 'watch protocol', http: 'HTTP ingest' } as const
  const mix = (Object.keys(names) as Array<keyof typeof names>).filter((p) => run.watchProtocols[p] > 0).map((p) => `${names[p]} ${run.watchProtocols[p]}`).join(' · ')
  const skipped = Object.entries(run.notInProtocol).map(([what, n]) => `${what} ×${n}`).join(', ')
  return skipped ? `${mix}; no frame in the watch protocol for ${skipped}` : mix
}

export function formatScorecard(result: EvaluationResult, opts: { set: string; seed: number; utcOffsetMin?: number }): string {
  const { card, truths, run } = result
  const offset = opts.utcOffsetMin ?? result.town.file.utcOffsetMin
  const at = (ms: number) => localIso(ms, offset).slice(0, 16).replace('T', ' ')
  const planted = truths.filter((t) => t.kind !== 'background')
  const lines = [
    `scorecard — set ${opts.set}, seed ${opts.seed}: ${planted.filter((t) => t.kind === 'scam').length} scam and ${planted.filter((t) => t.kind === 'benign').length} look-alike elders, ${truths.length - planted.length} background elders`,
    `  simulated ${at(run.eventFrom)} → ${at(run.eventTo)} in ${(run.wallMs / 1000).toFixed(0)} s; ${run.readings.toLocaleString('en-US')} readings, ${run.events.toLocaleString('en-US')} events; settled in ${(result.settleMs / 1000).toFixed(0)} s${result.interrupted ? ' (INTERRUPTED: partial week)' : ''}`,
    `  watches: ${protocolLine(run)}`,
    '',
    ...ruleTable(card.rules),
    '',
  ]
  if (card.misses.length > 0) {
    lines.push('missed:')
    for (const m of card.misses) {
      const got = m.got.length === 0 ? 'no alert for the rule' : m.got.map((a) => `${a.level} alert first at ${at(a.firstAt)}: ${a.summary ?? ''}`).join('; ')
      lines.push(`  ${m.rule} ≥ ${m.minLevel} on ${m.scenario} (${m.elderKey}), planted ${at(m.at)} — ${got}`)
    }
    lines.push('')
  }
  if (card.falseAlerts.length > 0) {
    lines.push('false alerts:')
    for (const f of card.falseAlerts) lines.push(`  ${f.alert.rule} ${f.alert.level} on ${f.kind === 'background' ? 'background elder' : f.scenario} (${f.elderKey}) at ${at(f.alert.firstAt)}: ${f.alert.summary ?? ''}`)
    lines.push('')
  }
  if (card.sideEffects.length > 0) {
    const counts = new Map<string, number>()
    for (const s of card.sideEffects) counts.set(s.alert.rule, (counts.get(s.alert.rule) ?? 0) + 1)
    lines.push(`side effects on scam elders (not scored): ${[...counts].map(([r, n]) => `${r} ×${n}`).join(', ')}`)
  }
  const byRule = Object.entries(result.notices.byRule).map(([r, n]) => `${r} ${n}`).join(', ')
  lines.push(
    `police notices received   ${result.notices.police}${byRule ? ` (${byRule})` : ''}; family notices ${result.notices.family}`,
    `false police notices      ${result.notices.falsePolice} (for a rule the elder must not raise)`,
    `voice prompts             ${result.voice.received} received by devices, ${result.voice.playedAtGateway} acknowledged as played at the gateway (${result.voice.acksSent} acks sent)`,
  )
  const failing = failingRules(card).map((f) => `${f.rule}: ${f.reason}`)
  if (result.notices.falsePolice > 0) failing.push(`${result.notices.falsePolice} false police notice(s)`)
  lines.push(failing.length === 0 ? `targets                   every rule at recall ≥ ${RECALL_TARGET} and precision ≥ ${PRECISION_TARGET}, no false police notice` : `BELOW TARGET              ${failing.join('; ')}`)
  return lines.join('\n')
}
