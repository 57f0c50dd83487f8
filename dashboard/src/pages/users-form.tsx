import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { api, ApiError, fieldErrorsOf } from '../api'
import { FieldNote } from '../field-note'
import { useT } from '../i18n'
import { useAdminT, type AdminKey } from '../i18n-admin'
import { toast } from '../toast'
import type { PoliceStation, Role } from '../types'

export const ROLES: readonly Role[] = ['operator', 'police', 'admin']
/** user-schemas.ts `username`; the gateway says the same in English if this ever drifts. */
const USERNAME = /^[A-Za-z0-9_.@-]{3,64}$/
/** gateway/src/registry/password-policy.ts; the gateway also refuses common passwords, in its own words. */
export const MIN_PASSWORD = 10

/** Client checks mirroring gateway/src/http/schemas/user-schemas.ts, by body field. */
export function checkUser(fields: { username?: string; password?: string; role: Role; policeStationId: string }): Map<string, AdminKey> {
  const out = new Map<string, AdminKey>()
  if (fields.username !== undefined && !USERNAME.test(fields.username)) out.set('username', 'users_usernameRule')
  if (fields.password !== undefined && fields.password.length < MIN_PASSWORD) out.set('password', 'users_passwordRule')
  if (fields.role === 'police' && fields.policeStationId === '') out.set('policeStationId', 'users_stationNeeded')
  return out
}

/** The gateway's answer as messages by field; a duplicate username is the username's fault. */
export function serverFieldErrors(err: unknown, fallbackField: string): Map<string, string> {
  const fields = fieldErrorsOf(err)
  if (fields.size === 0 && err instanceof ApiError && err.code === 'CONFLICT') fields.set('username', err.message)
  if (fields.size === 0) fields.set(fallbackField, (err as Error).message)
  return fields
}

export function StationSelect(props: { id: string; stations: PoliceStation[]; value: string; onChange: (id: string) => void; invalid: boolean }): JSX.Element {
  const { a } = useAdminT()
  return (
    <select id={props.id} value={props.value} aria-invalid={props.invalid} onChange={(e) => props.onChange(e.currentTarget.value)}>
      <option value="">{props.stations.length === 0 ? a('users_noStations') : a('users_stationPick')}</option>
      {props.stations.map((s) => (
        <option value={s.id} key={s.id}>
          {s.name}
        </option>
      ))}
    </select>
  )
}

/** New user: role first decides whether a police station is needed. */
export function CreateUserForm(props: { stations: PoliceStation[]; onCreated: () => void }): JSX.Element {
  const { t } = useT()
  const { a } = useAdminT()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<Role>('operator')
  const [station, setStation] = useState('')
  const [errors, setErrors] = useState<Map<string, string>>(new Map())
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    const local = checkUser({ username, password, role, policeStationId: station })
    if (local.size > 0) return setErrors(new Map([...local].map(([k, key]) => [k, a(key)])))
    setBusy(true)
    try {
      const body = { username, password, role, ...(role === 'police' ? { policeStationId: station } : {}) }
      const created = await api<{ username: string }>('POST', '/users', body)
      toast(a('users_created', { username: created.username }))
      setUsername('')
      setPassword('')
      setErrors(new Map())
      props.onCreated()
    } catch (err) {
      setErrors(serverFieldErrors(err, 'username'))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="card user-form" data-testid="user-create" onSubmit={(e) => void submit(e)} noValidate>
      <h3>{a('users_create')}</h3>
      <label>
        {t('username')}
        <input value={username} autoComplete="off" aria-invalid={errors.has('username')} onInput={(e) => setUsername(e.currentTarget.value)} />
        <FieldNote id="new-username-error" text={errors.get('username')} />
      </label>
      <label>
        {t('password')}
        <input type="password" value={password} autoComplete="new-password" aria-invalid={errors.has('password')} onInput={(e) => setPassword(e.currentTarget.value)} />
        <FieldNote id="new-password-error" text={errors.get('password')} />
      </label>
      <label>
        {a('users_role')}
        <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map((r) => (
            <option value={r} key={r}>
              {t(`role_${r}`)}
            </option>
          ))}
        </select>
        <FieldNote id="new-role-error" text={errors.get('role')} />
      </label>
      {role === 'police' && (
        <label>
          {a('users_station')}
          <StationSelect id="new-station" stations={props.stations} value={station} onChange={setStation} invalid={errors.has('policeStationId')} />
          <FieldNote id="new-station-error" text={errors.get('policeStationId')} />
        </label>
      )}
      <button type="submit" class="primary" data-testid="user-create-submit" disabled={busy}>
        {a('users_createButton')}
      </button>
    </form>
  )
}
