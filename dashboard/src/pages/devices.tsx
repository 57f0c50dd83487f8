import { Fragment, type JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { fetchAll, isMissingRoute } from '../api'
import { eldersStore, onStreamChange } from '../data'
import { formatTime, useT } from '../i18n'
import { Link } from '../router'
import { useStore } from '../store'
import type { Device } from '../types'
import { DeadLettersRow, RejectedCell } from './device-rejections'

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

/** Offline first, then the most rejected messages (a broken or misconfigured device), then low battery. */
function byAttention(a: Device, b: Device): number {
  return Number(a.online) - Number(b.online) || b.rejected.count - a.rejected.count || (a.battery ?? 101) - (b.battery ?? 101)
}

const COLUMNS = 8

/** MQTT, or the watch protocol with the watch's number and its newest frame (what a device maker asks first). */
function ProtocolCell(props: { device: Device }): JSX.Element {
  const { t, lang } = useT()
  const d = props.device
  if (d.protocol !== 'watch') return <span class="muted">{t('protocol_mqtt')}</span>
  return (
    <span class="protocol-watch" data-testid="protocol-watch">
      {t('protocol_watch')} <span class="mono">{d.imei}</span>
      <br />
      <span class="muted">
        {t('last_frame')}: {d.lastFrame ? `${d.lastFrame.command} · ${formatTime(lang, d.lastFrame.at)}` : '—'}
      </span>
    </span>
  )
}

/** A gateway from before issue 6 sends no `rejected`: shown as none rather than breaking the page. */
type DeviceFromAnyGateway = Omit<Device, 'rejected'> & Partial<Pick<Device, 'rejected'>>

function withRejected(d: DeviceFromAnyGateway): Device {
  return { ...d, rejected: d.rejected ?? { count: 0, lastAt: null, lastReason: null } }
}

/** Every device: online (live from the stream), battery, last seen, rejected messages; offline ones first. */
export function DevicesPage(): JSX.Element {
  const { t, lang } = useT()
  const elders = useStore(eldersStore)
  const [devices, setDevices] = useState<Device[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [opened, setOpened] = useState<string | null>(null)

  useEffect(() => {
    fetchAll<DeviceFromAnyGateway>('/devices').then((list) => setDevices(list.map(withRejected)), (err: unknown) => setError(isMissingRoute(err) ? t('missingRoute') : t('loadFailed')))
    return onStreamChange((change) => {
      if (change.topic !== 'device') return
      const p = change.payload as { deviceId?: string; online?: boolean; at?: string }
      setDevices((list) => list?.map((d) => (d.id === p.deviceId ? { ...d, online: p.online ?? d.online, lastSeenAt: p.at ?? d.lastSeenAt } : d)) ?? null)
    })
  }, [])

  if (error !== null) return <p class="empty">{error}</p>
  if (devices === null) return <p class="muted">…</p>
  if (devices.length === 0) return <p class="empty">{t('noData')}</p>
  const sorted = [...devices].sort(byAttention)
  return (
    <section class="table-page">
      <table class="data-table" data-testid="devices-table">
        <thead>
          <tr>
            <th>{t('status')}</th>
            <th>{t('device')}</th>
            <th>{t('kind')}</th>
            <th>{t('protocol')}</th>
            <th>{t('elder')}</th>
            <th>{t('battery')}</th>
            <th>{t('lastSeen')}</th>
            <th>{t('rejected')}</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((d) => (
            <Fragment key={d.id}>
              <tr data-online={String(d.online)} data-device={d.id}>
                <td class={d.online ? 'online' : 'offline'}>{d.online ? `● ${t('online')}` : `○ ${t('offline')}`}</td>
                <td class="mono">{d.id}</td>
                <td>{t(`kind_${d.kind}`)}</td>
                <td>
                  <ProtocolCell device={d} />
                </td>
                <td>
                  <Link href={`/elders/${encodeURIComponent(d.elderId)}`}>{elders.get(d.elderId)?.name ?? d.elderId}</Link>
                </td>
                <td>
                  <BatteryCell battery={d.battery} />
                </td>
                <td>{formatTime(lang, d.lastSeenAt)}</td>
                <td class={d.rejected.count > 0 ? 'rejected some' : 'rejected'}>
                  <RejectedCell device={d} open={opened === d.id} onToggle={() => setOpened(opened === d.id ? null : d.id)} />
                </td>
              </tr>
              {opened === d.id ? <DeadLettersRow deviceId={d.id} colSpan={COLUMNS} /> : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </section>
  )
}
