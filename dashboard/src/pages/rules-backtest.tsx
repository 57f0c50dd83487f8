import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { alertsStore, eldersStore } from '../data'
import { formatTime, useT } from '../i18n'
import { useAdminT } from '../i18n-admin'
import { LevelBadge } from '../levels'
import { useStore } from '../store'
import type { Alert, BacktestFinding, BacktestResult, RiskLevel } from '../types'
import { LEVELS, RULE_ORDER } from './rules-fields'

const DAY = 86_400_000
const SAMPLES = 50

function dateInput(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/** Local midnight of a yyyy-mm-dd, and the end of that day. */
function dayStart(value: string): number {
  return new Date(`${value}T00:00:00`).getTime()
}

interface Outcome {
  edited: BacktestResult
  live: BacktestResult
  /** Alerts the board knows were raised in the period, by rule (resolved ones included). */
  actual: Map<string, number>
}

function total(counts: BacktestResult['counts'], rule: string): number {
  return Object.values(counts[rule] ?? {}).reduce((sum, n) => sum + (n ?? 0), 0)
}

/** Per level: how many more (added) and fewer (removed) findings the edit makes. */
function delta(outcome: Outcome, rule: string): { added: number; removed: number } {
  let added = 0
  let removed = 0
  for (const level of LEVELS) {
    const d = (outcome.edited.counts[rule]?.[level] ?? 0) - (outcome.live.counts[rule]?.[level] ?? 0)
    if (d > 0) added += d
    else removed -= d
  }
  return { added, removed }
}

function actualByRule(alerts: ReadonlyMap<string, Alert>, from: number, to: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const alert of alerts.values()) {
    const at = Date.parse(alert.firstAt)
    if (at >= from && at < to) out.set(alert.rule, (out.get(alert.rule) ?? 0) + 1)
  }
  return out
}

/**
 * Replays stored readings through the edited (unsaved) config and through the live one, and
 * shows per rule what the edit would add or remove, next to the alerts actually raised.
 */
export function BacktestPanel(props: { config: Record<string, unknown> | null }): JSX.Element {
  const { a } = useAdminT()
  const [from, setFrom] = useState(() => dateInput(Date.now() - 7 * DAY))
  const [to, setTo] = useState(() => dateInput(Date.now()))
  const [running, setRunning] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [outcome, setOutcome] = useState<Outcome | null>(null)

  const run = async () => {
    if (props.config === null) return
    // Never past now: time-based rules (offline, absence) would fire on silence that has not happened.
    const range = { from: dayStart(from), to: Math.min(dayStart(to) + DAY, Date.now()) }
    setRunning(true)
    setError(null)
    try {
      const [edited, live] = await Promise.all([
        api<BacktestResult>('POST', '/rules/backtest', { ...range, config: props.config, samples: SAMPLES }),
        api<BacktestResult>('POST', '/rules/backtest', { ...range, samples: SAMPLES }),
      ])
      setOutcome({ edited, live, actual: actualByRule(alertsStore.value, range.from, range.to) })
    } catch (err) {
      const fields = err instanceof ApiError ? err.fields.map((f) => `${f.path}: ${f.message}`).join('；') : ''
      setError(`${a('bt_failed')}：${(err as Error).message}${fields === '' ? '' : `（${fields}）`}`)
      setOutcome(null)
    } finally {
      setRunning(false)
    }
  }

  return (
    <section class="card backtest" data-testid="backtest">
      <h3>{a('bt_title')}</h3>
      <p class="muted">{a('bt_hint')}</p>
      <div class="filters">
        <label>
          {a('bt_from')}
          <input type="date" value={from} data-testid="bt-from" onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          {a('bt_to')}
          <input type="date" value={to} data-testid="bt-to" onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
        <button type="button" class="primary" data-testid="bt-run" disabled={running || props.config === null} onClick={() => void run()}>
          {a('bt_run')}
        </button>
        {running && (
          <span class="spinner-line" role="status" data-testid="bt-running">
            <span class="spinner" aria-hidden="true" /> {a('bt_running')}
          </span>
        )}
      </div>
      {error !== null && (
        <p class="form-error" role="alert" data-testid="bt-error">
          {error}
        </p>
      )}
      {outcome !== null && !running && <BacktestOutcome outcome={outcome} />}
    </section>
  )
}

function BacktestOutcome(props: { outcome: Outcome }): JSX.Element {
  const { t, lang, rule } = useT()
  const { a } = useAdminT()
  const { edited, live, actual } = props.outcome
  const rules = RULE_ORDER.filter((r) => total(edited.counts, r) + total(live.counts, r) + (actual.get(r) ?? 0) > 0)
  return (
    <div data-testid="bt-result">
      <p class="muted">
        {a('bt_inputs', { inputs: edited.inputs, from: formatTime(lang, edited.from), to: formatTime(lang, edited.to) })}
        {edited.tooLate > 0 && a('bt_tooLate', { n: edited.tooLate })}
      </p>
      {rules.length === 0 ? (
        <p class="empty">{a('bt_none')}</p>
      ) : (
        <table class="data-table bt-table">
          <thead>
            <tr>
              <th>{t('rule')}</th>
              <th>{a('bt_edited')}</th>
              <th>{a('bt_current')}</th>
              <th>{a('bt_change')}</th>
              <th>{a('bt_actual')}</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => {
              const d = delta(props.outcome, r)
              return (
                <tr key={r} data-testid="bt-rule" data-rule={r} data-edited={total(edited.counts, r)} data-live={total(live.counts, r)}>
                  <td>{rule(r)}</td>
                  <td><LevelCounts counts={edited.counts[r]} /></td>
                  <td><LevelCounts counts={live.counts[r]} /></td>
                  <td>
                    {d.added > 0 && <span class="bt-added">+{d.added} {a('bt_added')}</span>}{' '}
                    {d.removed > 0 && <span class="bt-removed">−{d.removed} {a('bt_removed')}</span>}
                    {d.added === 0 && d.removed === 0 && <span class="muted">=</span>}
                  </td>
                  <td class="num">{actual.get(r) ?? 0}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <Samples edited={edited} live={live} />
    </div>
  )
}

function LevelCounts(props: { counts: Partial<Record<RiskLevel, number>> | undefined }): JSX.Element {
  const entries = LEVELS.filter((l) => (props.counts?.[l] ?? 0) > 0)
  if (entries.length === 0) return <span class="muted">0</span>
  return (
    <span class="level-counts">
      {entries.map((l) => (
        <span key={l}>
          <LevelBadge level={l} /> <b>{props.counts?.[l]}</b>
        </span>
      ))}
    </span>
  )
}

/** Samples of the edited run; "new"/"no longer" only when the other run's samples are complete. */
function Samples(props: { edited: BacktestResult; live: BacktestResult }): JSX.Element | null {
  const { lang, rule } = useT()
  const { a } = useAdminT()
  const elders = useStore(eldersStore)
  const complete = (r: BacktestResult) => r.findings <= r.samples.length
  const liveKeys = new Set(props.live.samples.map((s) => s.dedupKey))
  const editedKeys = new Set(props.edited.samples.map((s) => s.dedupKey))
  const rows: Array<{ f: BacktestFinding; mark: 'new' | 'gone' | null }> = [
    ...props.edited.samples.map((f) => ({ f, mark: complete(props.live) && !liveKeys.has(f.dedupKey) ? ('new' as const) : null })),
    ...(complete(props.edited) ? props.live.samples.filter((f) => !editedKeys.has(f.dedupKey)).map((f) => ({ f, mark: 'gone' as const })) : []),
  ]
  if (rows.length === 0) return null
  return (
    <>
      <h4>{a('bt_samples')}</h4>
      <table class="data-table" data-testid="bt-samples">
        <thead>
          <tr>
            <th>{a('bt_time')}</th>
            <th>{a('rules_level')}</th>
            <th>{a('bt_what')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ f, mark }) => (
            <tr key={`${mark ?? ''}${f.dedupKey}`} data-testid="bt-sample" class={mark === 'gone' ? 'bt-gone' : ''}>
              <td>{formatTime(lang, f.ts)}</td>
              <td><LevelBadge level={f.level} /></td>
              <td>
                {mark !== null && <span class={`bt-mark bt-mark-${mark}`}>{a(mark === 'new' ? 'bt_new' : 'bt_gone')}</span>}{' '}
                <b>{f.elderId === null ? '—' : (elders.get(f.elderId)?.name ?? f.elderId)}</b> · {rule(f.rule)} · <span class="muted">{f.summary}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
