import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { fetchAll, isMissingRoute } from '../api'
import { useT } from '../i18n'
import { useAdminT } from '../i18n-admin'
import { sessionStore } from '../session'
import { useStore } from '../store'
import type { PoliceStation, UserAccount } from '../types'
import { CreateUserForm } from './users-form'
import { UserRow } from './users-row'

/** The tenant's accounts (admins only; the gateway refuses everyone else with 403 too). */
export function UsersPage(): JSX.Element {
  const session = useStore(sessionStore)
  const { a } = useAdminT()
  if (session?.user.role !== 'admin') {
    return (
      <p class="empty" role="alert" data-testid="no-permission">
        {a('users_noPermission')}
      </p>
    )
  }
  return <UserAdmin selfId={session.user.id} />
}

function UserAdmin(props: { selfId: string }): JSX.Element {
  const { t } = useT()
  const { a } = useAdminT()
  const [users, setUsers] = useState<UserAccount[] | null>(null)
  const [stations, setStations] = useState<PoliceStation[]>([])
  const [error, setError] = useState<string | null>(null)

  const load = async () => {
    try {
      const [list, known] = await Promise.all([fetchAll<UserAccount>('/users'), fetchAll<PoliceStation>('/police-stations')])
      setUsers(list)
      setStations(known)
    } catch (err) {
      setError(isMissingRoute(err) ? t('missingRoute') : t('loadFailed'))
    }
  }
  useEffect(() => void load(), [])

  if (error !== null) return <p class="empty">{error}</p>
  if (users === null) return <p class="muted">…</p>
  const replace = (updated: UserAccount) => setUsers((list) => list?.map((u) => (u.id === updated.id ? updated : u)) ?? null)
  return (
    <section class="users-page">
      <CreateUserForm stations={stations} onCreated={() => void load()} />
      <div class="table-page">
        <table class="data-table" data-testid="users-table">
          <thead>
            <tr>
              <th>{t('username')}</th>
              <th>{a('users_role')}</th>
              <th>{a('users_station')}</th>
              <th>{a('users_state')}</th>
              <th>{t('created')}</th>
              <th>{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              // Keyed by state too: a saved change resets the row's edit fields to the new values.
              <UserRow key={`${u.id}:${u.role}:${u.policeStationId ?? ''}`} user={u} stations={stations} isSelf={u.id === props.selfId} onChanged={replace} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
