import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { api } from '../api'
import { FieldNote } from '../field-note'
import { formatTime, useT } from '../i18n'
import { useAdminT } from '../i18n-admin'
import { toast } from '../toast'
import type { PoliceStation, Role, UserAccount } from '../types'
import { checkUser, ROLES, serverFieldErrors, StationSelect } from './users-form'

/**
 * One account: change role and station, reset the password, disable or enable. Each action
 * is its own PATCH, so a failed password reset never undoes a role change.
 */
export function UserRow(props: { user: UserAccount; stations: PoliceStation[]; isSelf: boolean; onChanged: (user: UserAccount) => void }): JSX.Element {
  const { t, lang } = useT()
  const { a } = useAdminT()
  const u = props.user
  const [role, setRole] = useState<Role>(u.role)
  const [station, setStation] = useState(u.policeStationId ?? '')
  const [password, setPassword] = useState('')
  const [errors, setErrors] = useState<Map<string, string>>(new Map())
  const [busy, setBusy] = useState(false)
  const key = `u-${u.id}`

  const patch = async (body: Record<string, unknown>, done: string): Promise<boolean> => {
    setBusy(true)
    try {
      const updated = await api<UserAccount>('PATCH', `/users/${encodeURIComponent(u.id)}`, body)
      setErrors(new Map())
      toast(done)
      props.onChanged(updated)
      return true
    } catch (err) {
      setErrors(serverFieldErrors(err, Object.keys(body)[0] ?? 'role'))
      return false
    } finally {
      setBusy(false)
    }
  }

  const applyRole = () => {
    const local = checkUser({ role, policeStationId: station })
    if (local.size > 0) return setErrors(new Map([...local].map(([k, m]) => [k, a(m)])))
    const body: Record<string, unknown> = {}
    if (role !== u.role) body.role = role
    // A station belongs to police accounts only; another role drops it.
    const wanted = role === 'police' ? station : null
    if (wanted !== u.policeStationId) body.policeStationId = wanted
    void patch(body, a('users_updated', { username: u.username }))
  }

  const resetPassword = async () => {
    const local = checkUser({ role, policeStationId: 'n/a', password })
    if (local.size > 0) return setErrors(new Map([...local].map(([k, m]) => [k, a(m)])))
    if (await patch({ password }, a('users_passwordSet'))) setPassword('')
  }

  const roleChanged = role !== u.role || (role === 'police' && station !== (u.policeStationId ?? ''))
  const stationName = props.stations.find((s) => s.id === u.policeStationId)?.name ?? u.policeStationId ?? '—'
  return (
    <tr data-testid="user-row" data-username={u.username} data-disabled={String(u.disabled)} class={u.disabled ? 'user-disabled' : ''}>
      <td>
        <b>{u.username}</b>
        {u.displayName !== null && <span class="muted"> {u.displayName}</span>}
      </td>
      <td>
        <span class="user-edit">
          <select aria-label={a('users_role')} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} disabled={props.isSelf}>
            {ROLES.map((r) => (
              <option value={r} key={r}>
                {t(`role_${r}`)}
              </option>
            ))}
          </select>
          {role === 'police' && <StationSelect id={`${key}-station`} stations={props.stations} value={station} onChange={setStation} invalid={errors.has('policeStationId')} />}
          {roleChanged && (
            <button type="button" class="primary" disabled={busy} data-testid="user-apply" onClick={applyRole}>
              {a('users_apply')}
            </button>
          )}
        </span>
        <FieldNote id={`${key}-role-error`} text={errors.get('role')} />
        <FieldNote id={`${key}-station-error`} text={errors.get('policeStationId')} />
      </td>
      <td data-testid="user-station">{u.role === 'police' ? stationName : '—'}</td>
      <td class={u.disabled ? 'offline' : 'online'}>{u.disabled ? a('users_disabled') : a('users_active')}</td>
      <td>{formatTime(lang, u.createdAt)}</td>
      <td>
        <span class="user-edit">
          <input
            type="password"
            autoComplete="new-password"
            placeholder={a('users_newPassword')}
            aria-label={`${a('users_resetPassword')} ${u.username}`}
            value={password}
            aria-invalid={errors.has('password')}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <button type="button" disabled={busy || password === ''} data-testid="user-reset-password" onClick={() => void resetPassword()}>
            {a('users_resetPassword')}
          </button>
          {!props.isSelf && (
            <button
              type="button"
              class={u.disabled ? '' : 'warn'}
              disabled={busy}
              data-testid="user-toggle"
              onClick={() => void patch({ disabled: !u.disabled }, a('users_updated', { username: u.username }))}
            >
              {u.disabled ? a('users_enable') : a('users_disable')}
            </button>
          )}
        </span>
        <FieldNote id={`${key}-password-error`} text={errors.get('password')} />
        <FieldNote id={`${key}-disabled-error`} text={errors.get('disabled')} />
      </td>
    </tr>
  )
}
