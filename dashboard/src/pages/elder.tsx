import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { levelRank } from '../../../contract/levels'
import { compareAlerts } from '../alert-board'
import { api, fetchAll } from '../api'
import { alertsStore, onStreamChange } from '../data'
import { formatTime, useT } from '../i18n'
import { LevelBadge } from '../levels'
import { Link } from '../router'
import { alertSummary } from '../summaries'
import { useStore } from '../store'
import type { Alert, Device, Elder, Reading, RiskLevel, Telemetry } from '../types'
import { ActivityChart } from './activity-chart'
import { HeartRateSparkline, LocationTrail } from './elder-charts'
import { BatteryCell } from './devices'
import { VoiceBox } from './voice-box'

const DAY_MS = 86_400_000
/** The same empty list every render: the trail map redraws only when the readings change. */
const NO_READINGS: readonly Reading[] = []

/** One elder: profile and contacts, devices, the last day's trail and heart rate, alerts, 喊话. */
export function ElderPage(props: { id: string }): JSX.Element {
  const { t, rule, lang } = useT()
  const [elder, setElder] = useState<Elder | null | 'missing'>(null)
  const [devices, setDevices] = useState<Device[]>([])
  const [telemetry, setTelemetry] = useState<Telemetry | null>(null)
  const [history, setHistory] = useState<Alert[]>([])
  const live = useStore(alertsStore)
  const id = encodeURIComponent(props.id)

  useEffect(() => {
    api<Elder>('GET', `/elders/${id}`).then(setElder, () => setElder('missing'))
    fetchAll<Device>(`/devices?elderId=${id}`).then(setDevices, () => setDevices([]))
    api<Telemetry>('GET', `/elders/${id}/telemetry?from=${Date.now() - DAY_MS}&kind=watch&limit=5000`).then(setTelemetry, () => setTelemetry({ items: [], events: [] }))
    fetchAll<Alert>(`/alerts?elderId=${id}`, 500).then(setHistory, () => setHistory([]))
    return onStreamChange((change) => {
      if (change.topic !== 'device') return
      const p = change.payload as { deviceId?: string; online?: boolean; at?: string }
      setDevices((list) => list.map((d) => (d.id === p.deviceId ? { ...d, online: p.online ?? d.online, lastSeenAt: p.at ?? d.lastSeenAt } : d)))
    })
  }, [id])

  if (elder === null) return <p class="muted">…</p>
  if (elder === 'missing') return <p class="empty">{t('loadFailed')}</p>

  // The live copy of an alert wins over the one read when the page opened.
  const alerts = [...new Map([...history, ...[...live.values()].filter((a) => a.elderId === props.id)].map((a) => [a.id, live.get(a.id) ?? a])).values()].sort(compareAlerts)
  const readings = telemetry?.items ?? NO_READINGS
  const riskLevel = alerts.reduce<RiskLevel>((top, a) => (a.status !== 'resolved' && levelRank(a.level) > levelRank(top) ? a.level : top), 'green')

  return (
    <section class="elder-page">
      <div class="elder-head">
        <Link href="/risk" class="ghost-link">
          ← {t('back')}
        </Link>
        <h2 data-testid="elder-name">{elder.name}</h2>
        <LevelBadge level={riskLevel} large />
      </div>
      <div class="elder-grid">
        <div class="elder-col">
          <section class="card">
            <h3>{t('profile')}</h3>
            <dl class="facts">
              <dt>{t('phone')}</dt>
              <dd>{elder.phone ?? '—'}</dd>
              <dt>{t('address')}</dt>
              <dd>{elder.address ?? '—'}</dd>
              <dt>{t('area')}</dt>
              <dd>{elder.area ?? '—'}</dd>
              <dt>{t('contacts')}</dt>
              <dd>{(elder.contacts ?? []).map((c) => `${c.name}${c.relation ? `（${c.relation}）` : ''} ${c.phone ?? ''}`).join('；') || '—'}</dd>
            </dl>
            <h3>{t('devices')}</h3>
            <ul class="device-list">
              {devices.map((d) => (
                <li key={d.id}>
                  <span class={d.online ? 'online' : 'offline'}>{d.online ? `● ${t('online')}` : `○ ${t('offline')}`}</span>
                  <span>
                    {t(`kind_${d.kind}`)} {d.id}
                  </span>
                  <BatteryCell battery={d.battery} />
                  <span class="muted">
                    {t('lastSeen')} {formatTime(lang, d.lastSeenAt)}
                  </span>
                </li>
              ))}
            </ul>
          </section>
          <VoiceBox elderId={props.id} devices={devices} />
          <section class="card">
            <h3>{t('history')}</h3>
            <ul class="history-list" data-testid="elder-alerts">
              {alerts.length === 0 && <li class="muted">{t('noAlerts')}</li>}
              {alerts.map((a) => (
                <li key={a.id} data-status={a.status}>
                  <LevelBadge level={a.level} />
                  <span class="strong">{rule(a.rule)}</span>
                  <span class="summary">{alertSummary(a, lang)}</span>
                  <span class={`status-chip status-${a.status}`}>{t(`status_${a.status}`)}</span>
                  <span class="muted">{formatTime(lang, a.lastAt)}</span>
                </li>
              ))}
            </ul>
          </section>
        </div>
        <div class="elder-col">
          <section class="card">
            <h3>{t('telemetry')}</h3>
            <LocationTrail elder={elder} readings={readings} />
            <HeartRateSparkline readings={readings} />
            <ActivityChart elderId={props.id} />
          </section>
        </div>
      </div>
    </section>
  )
}
