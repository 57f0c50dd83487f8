import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, isMissingRoute } from '../api'
import { eldersStore, onStreamChange } from '../data'
import { formatTime, useT } from '../i18n'
import { LevelBadge } from '../levels'
import { Link } from '../router'
import { useStore } from '../store'
import type { Notice } from '../types'

/**
 * Police and family notices (事事有着落、件件有回音): delivery status, attempts, the last error
 * and the police case number from the receipt; live from the stream's 'notice' changes.
 */
export function NoticesPage(): JSX.Element {
  const { t, lang } = useT()
  const elders = useStore(eldersStore)
  const [notices, setNotices] = useState<Notice[] | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    api<{ items: Notice[] }>('GET', '/notices?limit=500').then(
      (page) => setNotices((known) => merge(page.items, known ?? [])),
      (err: unknown) => setError(isMissingRoute(err) ? t('missingRoute') : t('loadFailed')),
    )
    return onStreamChange((change) => {
      if (change.topic !== 'notice') return
      const notice = (change.payload as { notice?: Notice }).notice
      if (notice !== undefined) setNotices((known) => merge([notice], known ?? []))
    })
  }, [])

  if (error !== null) return <p class="empty">{error}</p>
  if (notices === null) return <p class="muted">…</p>
  if (notices.length === 0) return <p class="empty">{t('noData')}</p>
  return (
    <section class="table-page">
      <table class="data-table" data-testid="notices-table">
        <thead>
          <tr>
            <th>{t('created')}</th>
            <th>{t('level')}</th>
            <th>{t('audience')}</th>
            <th>{t('elder')}</th>
            <th>{t('status')}</th>
            <th>{t('attempts')}</th>
            <th>{t('caseNumber')}</th>
            <th>{t('lastError')}</th>
          </tr>
        </thead>
        <tbody>
          {notices.map((n) => (
            <tr key={n.id} data-status={n.status}>
              <td>{formatTime(lang, n.createdAt)}</td>
              <td>
                <LevelBadge level={n.level} />
              </td>
              <td>{t(`aud_${n.audience}`)}</td>
              <td>
                <Link href={`/elders/${encodeURIComponent(n.elderId)}`}>{elders.get(n.elderId)?.name ?? n.elderId}</Link>
              </td>
              <td class={`ns ns-${n.status}`}>{t(`ns_${n.status}`)}</td>
              <td class="num">{n.attempts}</td>
              <td class="mono">{n.receipt?.caseNumber ?? '—'}</td>
              <td class="error-text">{n.lastError ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function merge(incoming: readonly Notice[], known: readonly Notice[]): Notice[] {
  const byId = new Map(known.map((n) => [n.id, n]))
  for (const n of incoming) byId.set(n.id, n)
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}
