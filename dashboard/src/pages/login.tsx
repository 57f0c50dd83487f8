import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { setLang, useT } from '../i18n'
import type { Session } from '../session'
import type { SessionUser } from '../types'

interface LoginAnswer {
  token: string
  expiresAt?: string
  user: SessionUser
}

export function LoginPage(props: { onSignedIn(session: Session): void }): JSX.Element {
  const { t, lang } = useT()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const answer = await api<LoginAnswer>('POST', '/auth/login', { username, password })
      props.onSignedIn({ token: answer.token, user: answer.user, ...(answer.expiresAt ? { expiresAt: answer.expiresAt } : {}) })
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0
      setError(t(status === 429 ? 'tooManyAttempts' : status === 0 || status >= 500 ? 'networkError' : 'signInFailed'))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div class="login">
      <form class="login-card" onSubmit={(e) => void submit(e)}>
        <h1>{t('appName')}</h1>
        <label>
          {t('username')}
          <input name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        </label>
        <label>
          {t('password')}
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        {error !== null && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {t('signIn')}
        </button>
        <button type="button" class="ghost" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
          {t('language')}
        </button>
      </form>
    </div>
  )
}
