import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { fetchAll, isMissingRoute } from '../api'
import { eldersStore, onStreamChange } from '../data'
import { formatTime, useT } from '../i18n'
import { Link } from '../router'
import { useStore } from '../store'
import type { Device } from '../types'

/** Battery as a number and a bar; low (≤ 15 %, the device.battery default) in words too. */
export function BatteryCell(props: { battery: number | null }): JSX.Element {
  if (props.battery === null) return <span class="muted">—</span>
  const low = props.battery <= 15
  return (
    <span class={`battery${low ? ' low' : ''}`}>
      <span class="battery-bar" aria-hidden="true">
        <span style={{ width: `${Math.max(0, Math.min(100, props.battery))}%` }} />
      </span>
      {props.battery}%{low ? ' ⚠' : ''}
    </span>
  )
}

/** Every device: online (live from the stream), battery, last seen; offline ones first. */
export function DevicesPage(): JSX.Element {
  const { t, lang } = useT()
  const elders = useStore(eldersStore)
  const [devices, setDevices] = useState<Device[] | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    fetchAll<Device>('/devices').then(setDevices, (err: unknown) => setError(isMissingRoute(err) ? t('missingRoute') : t('loadFailed')))
    return onStreamChange((change) => {
      if (change.topic !== 'device') return
      const p = change.payload as { deviceId?: string; online?: boolean; at?: string }
      setDevices((list) => list?.map((d) => (d.id === p.deviceId ? { ...d, online: p.online ?? d.online, lastSeenAt: p.at ?? d.lastSeenAt } : d)) ?? null)
    })
  }, [])

  if (error !== null) return <p class="empty">{error}</p>
  if (devices === null) return <p class="muted">…</p>
  if (devices.length === 0) return <p class="empty">{t('noData')}</p>
  const sorted = [...devices].sort((a, b) => Number(a.online) - Number(b.online) || (a.battery ?? 101) - (b.battery ?? 101))
  return (
    <section class="table-page">
      <table class="data-table" data-testid="devices-table">
        <thead>
          <tr>
            <th>{t('status')}</th>
            <th>{t('device')}</th>
            <th>{t('kind')}</th>
            <th>{t('elder')}</th>
            <th>{t('battery')}</th>
            <th>{t('lastSeen')}</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((d) => (
            <tr key={d.id} data-online={String(d.online)}>
              <td class={d.online ? 'online' : 'offline'}>{d.online ? `● ${t('online')}` : `○ ${t('offline')}`}</td>
              <td class="mono">{d.id}</td>
              <td>{t(`kind_${d.kind}`)}</td>
              <td>
                <Link href={`/elders/${encodeURIComponent(d.elderId)}`}>{elders.get(d.elderId)?.name ?? d.elderId}</Link>
              </td>
              <td>
                <BatteryCell battery={d.battery} />
              </td>
              <td>{formatTime(lang, d.lastSeenAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
