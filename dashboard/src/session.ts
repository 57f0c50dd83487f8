import { Store } from './store'
import type { SessionUser } from './types'

/**
 * The operator's session: the bearer token lives in sessionStorage (gone when the tab closes,
 * never shared with other tabs' sign-ins), with the user it belongs to.
 */
const KEY = 'eg.session'

export interface Session {
  token: string
  user: SessionUser
  expiresAt?: string
}

export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(KEY)
  if (raw === null) return null
  try {
    const value = JSON.parse(raw) as Partial<Session>
    if (typeof value.token !== 'string' || typeof value.user !== 'object' || value.user === null) return null
    if (value.expiresAt !== undefined && Date.parse(value.expiresAt) < Date.now()) return null
    return value as Session
  } catch {
    return null
  }
}

export function saveSession(session: Session | null): void {
  if (session === null) sessionStorage.removeItem(KEY)
  else sessionStorage.setItem(KEY, JSON.stringify(session))
}

/** The signed-in operator, or null on the sign-in page. */
export const sessionStore = new Store<Session | null>(loadSession())
