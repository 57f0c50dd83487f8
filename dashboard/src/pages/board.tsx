import type { JSX } from 'preact'
import { useMemo, useRef, useState } from 'preact/hooks'
import { defaultFilter, LEVELS, levelCounts, visibleAlerts, type AlertFilter, type StatusFilter } from '../alert-board'
import { AssignDialog, ResolveDialog } from '../alert-actions'
import { alertsLoadError, alertsLoading, alertsStore, eldersStore, loadAlerts } from '../data'
import { RULE_IDS, useT } from '../i18n'
import { sessionStore } from '../session'
import { useStore } from '../store'
import type { Alert, RiskLevel } from '../types'
import { useRemPixels, VirtualList } from '../virtual-list'
import { AlertRow, ROW_REM } from './alert-row'

const STATUS_FILTERS: StatusFilter[] = ['active', 'open', 'acknowledged', 'resolved', 'all']

/** The main page: every alert, live, most urgent on top. */
export function BoardPage(): JSX.Element {
  const { t, rule } = useT()
  const alerts = useStore(alertsStore)
  const elders = useStore(eldersStore)
  const loadError = useStore(alertsLoadError)
  const loading = useStore(alertsLoading)
  const session = useStore(sessionStore)
  const [filter, setFilter] = useState<AlertFilter>(defaultFilter)
  const [resolving, setResolving] = useState<Alert | null>(null)
  const [assigning, setAssigning] = useState<Alert | null>(null)

  const rowHeight = useRemPixels(ROW_REM)
  // The previous order seeds the next sort (see visibleAlerts): updates stay cheap at 10,000 alerts.
  const previousRows = useRef<Alert[] | undefined>(undefined)
  const rows = useMemo(() => (previousRows.current = visibleAlerts(alerts, filter, previousRows.current)), [alerts, filter])
  const counts = useMemo(() => levelCounts(alerts), [alerts])
  const canAct = session?.user.role !== 'police'

  const toggleLevel = (level: RiskLevel) => {
    const levels = new Set(filter.levels)
    if (levels.has(level)) levels.delete(level)
    else levels.add(level)
    setFilter({ ...filter, levels })
  }

  return (
    <section class="board">
      <div class="filters" role="toolbar">
        <div class="level-filters">
          {LEVELS.map((level) => (
            <button
              type="button"
              key={level}
              class={`level-toggle level-${level}${filter.levels.has(level) ? ' on' : ''}`}
              aria-pressed={filter.levels.has(level)}
              data-testid={`filter-${level}`}
              onClick={() => toggleLevel(level)}
            >
              {t(`level_${level}`)} <strong>{counts[level]}</strong>
            </button>
          ))}
        </div>
        <label>
          {t('status')}
          <select
            value={filter.status}
            data-testid="filter-status"
            onChange={(e) => setFilter({ ...filter, status: e.currentTarget.value as StatusFilter })}
          >
            {STATUS_FILTERS.map((s) => (
              <option value={s} key={s}>
                {s === 'all' ? t('all') : t(`status_${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('rule')}
          <select value={filter.rule} data-testid="filter-rule" onChange={(e) => setFilter({ ...filter, rule: e.currentTarget.value })}>
            <option value="">{t('filterRule')}</option>
            {RULE_IDS.map((id) => (
              <option value={id} key={id}>
                {rule(id)}
              </option>
            ))}
          </select>
        </label>
        <span class="shown" data-testid="shown-count">
          {t('shown')} {rows.length} / {alerts.size}
        </span>
      </div>
      {loadError !== null && (
        <div class="banner banner-lost" role="alert">
          {loadError === 'missing' ? t('missingRoute') : t('loadFailed')}
          <button type="button" onClick={() => void loadAlerts()}>
            {t('refresh')}
          </button>
        </div>
      )}
      {rows.length === 0 && !loading ? (
        <p class="empty" data-testid="no-alerts">
          {t('noAlerts')}
        </p>
      ) : (
        <VirtualList
          items={rows}
          rowHeight={rowHeight}
          keyOf={(a) => a.id}
          testId="alert-list"
          renderRow={(alert) => (
            <AlertRow
              alert={alert}
              elderName={elders.get(alert.elderId)?.name}
              canAct={canAct}
              onResolve={() => setResolving(alert)}
              onAssign={() => setAssigning(alert)}
            />
          )}
        />
      )}
      {resolving !== null && <ResolveDialog alert={resolving} onClose={() => setResolving(null)} />}
      {assigning !== null && session !== null && (
        <AssignDialog alert={assigning} me={session.user} onClose={() => setAssigning(null)} />
      )}
    </section>
  )
}
