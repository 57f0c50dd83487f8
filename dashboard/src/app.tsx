import type { JSX } from 'preact'
import { useEffect } from 'preact/hooks'
import { unansweredRed } from './alert-board'
import { api, onUnauthorised } from './api'
import { setTitleBadge, unlockAudio } from './cue'
import { alertsStore, loadAlerts, loadElders, resetData } from './data'
import { langStore, setLang, translate, useT, type MessageKey } from './i18n'
import { lazyPage } from './lazy-page'
import { BoardPage } from './pages/board'
import { DevicesPage } from './pages/devices'
import { ElderPage } from './pages/elder'
import { LoginPage } from './pages/login'
import { NoticesPage } from './pages/notices'
import { ReportsPage } from './pages/reports'
import { RiskPage } from './pages/risk'
import { RulesPage } from './pages/rules'
import { UsersPage } from './pages/users'
import { Link, navigate, routeStore } from './router'
import { saveSession, sessionStore, type Session } from './session'
import { useStore } from './store'
import { StreamBanner } from './stream-banner'
import { startStream, stopStream } from './stream'
import { Toast } from './toast'

// The map pages load Leaflet and its plugins on first use (lazy-page.tsx says why).
const MapPage = lazyPage(async () => (await import('./pages/map')).MapPage)
const VenuesPage = lazyPage(async () => (await import('./pages/venues')).VenuesPage)

function begin(session: Session): void {
  startStream(session.token, signOutLocally)
  void loadAlerts()
  void loadElders()
}

export function signIn(session: Session): void {
  unlockAudio()
  saveSession(session)
  sessionStore.set(session)
  begin(session)
}

function signOutLocally(): void {
  stopStream()
  saveSession(null)
  resetData()
  sessionStore.set(null)
}

async function signOut(): Promise<void> {
  await api('POST', '/auth/logout').catch(() => undefined)
  signOutLocally()
}

onUnauthorised(signOutLocally)
if (sessionStore.value !== null) begin(sessionStore.value)

const NAV: Array<{ path: string; key: MessageKey }> = [
  { path: '/', key: 'nav_board' },
  { path: '/risk', key: 'nav_risk' },
  { path: '/notices', key: 'nav_notices' },
  { path: '/devices', key: 'nav_devices' },
  { path: '/map', key: 'nav_map' },
  { path: '/venues', key: 'nav_venues' },
  { path: '/rules', key: 'nav_rules' },
  { path: '/reports', key: 'nav_reports' },
  { path: '/users', key: 'nav_users' },
]
/**
 * Pages police users do not get: they see red alerts of their own station only, and the API
 * refuses them the registry (devices, venues, candidates) and the reports.
 */
const STAFF_ONLY = new Set(['/devices', '/map', '/venues', '/reports', '/rules'])
/** Shown to admins only (the page itself says "no permission" to anyone else who opens it). */
const ADMIN_ONLY = new Set(['/users'])

function pageFor(path: string): { page: JSX.Element; title: MessageKey } {
  const elder = /^\/elders\/([^/]+)$/.exec(path)
  if (elder?.[1] !== undefined) return { page: <ElderPage id={decodeURIComponent(elder[1])} />, title: 'elder' }
  if (path === '/risk') return { page: <RiskPage />, title: 'nav_risk' }
  if (path === '/notices') return { page: <NoticesPage />, title: 'nav_notices' }
  if (path === '/devices') return { page: <DevicesPage />, title: 'nav_devices' }
  if (path === '/map') return { page: <MapPage />, title: 'nav_map' }
  if (path === '/venues') return { page: <VenuesPage />, title: 'nav_venues' }
  if (path === '/reports') return { page: <ReportsPage />, title: 'nav_reports' }
  if (path === '/rules') return { page: <RulesPage />, title: 'nav_rules' }
  if (path === '/users') return { page: <UsersPage />, title: 'nav_users' }
  return { page: <BoardPage />, title: 'nav_board' }
}

function Shell(props: { session: Session }): JSX.Element {
  const { t, lang } = useT()
  const path = useStore(routeStore)
  const alerts = useStore(alertsStore)
  const { page, title } = pageFor(path)
  const unanswered = unansweredRed(alerts)

  useEffect(() => setTitleBadge(unanswered, translate(langStore.value, title)), [unanswered, title, lang])

  return (
    <div class="shell">
      <header class="topbar">
        <div class="brand" onClick={() => navigate('/')}>
          {t('appName')}
          {unanswered > 0 && (
            <span class="red-count" title={t('newRed')} data-testid="red-count">
              {unanswered}
            </span>
          )}
        </div>
        <nav class="nav">
          {NAV.filter((n) => (!STAFF_ONLY.has(n.path) || props.session.user.role !== 'police') && (!ADMIN_ONLY.has(n.path) || props.session.user.role === 'admin')).map((n) => (
            <Link href={n.path} class={path === n.path ? 'active' : ''}>
              {t(n.key)}
            </Link>
          ))}
        </nav>
        <div class="who">
          <span class="user" data-testid="who">
            {props.session.user.username} · {t(`role_${props.session.user.role}`)}
          </span>
          <button type="button" class="ghost" data-testid="lang" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
            {t('language')}
          </button>
          <button type="button" class="ghost" data-testid="sign-out" onClick={() => void signOut()}>
            {t('signOut')}
          </button>
        </div>
      </header>
      <StreamBanner />
      <main class="page">{page}</main>
      <Toast />
    </div>
  )
}

export function App(): JSX.Element {
  const session = useStore(sessionStore)
  useStore(langStore)
  return session === null ? <LoginPage onSignedIn={signIn} /> : <Shell session={session} />
}
