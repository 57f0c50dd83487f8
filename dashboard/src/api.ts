import { loadSession } from './session'
import type { Page } from './types'

/** A failed API call, with the gateway's stable error code (README: errors carry `code`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** VALIDATION_FAILED: which fields failed and why (`path` as the gateway names it). */
    readonly fields: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message)
  }
}

type Listener = () => void
const unauthorisedListeners = new Set<Listener>()

/** Called when the gateway says the session is gone (401): the app signs out. */
export function onUnauthorised(listener: Listener): () => void {
  unauthorisedListeners.add(listener)
  return () => unauthorisedListeners.delete(listener)
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const token = loadSession()?.token
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) })
  } catch (err) {
    throw new ApiError(0, 'NETWORK', (err as Error).message)
  }
  const text = await res.text()
  let json: unknown = null
  try {
    json = text === '' ? null : (JSON.parse(text) as unknown)
  } catch {
    json = null
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string; fields?: Array<{ path: string; message: string }> } } | null)?.error
    if (res.status === 401 && !path.startsWith('/auth/login')) for (const l of unauthorisedListeners) l()
    throw new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? res.statusText, error?.fields ?? [])
  }
  return json as T
}

/** Every page of a list route (`?limit=&offset=`), up to `max` items. */
export async function fetchAll<T>(path: string, max = 20_000): Promise<T[]> {
  const out: T[] = []
  const sep = path.includes('?') ? '&' : '?'
  for (;;) {
    const page = await api<Page<T>>('GET', `${path}${sep}limit=1000&offset=${out.length}`)
    out.push(...page.items)
    const total = page.total ?? out.length
    if (page.items.length === 0 || out.length >= total || out.length >= max) return out
  }
}

/** 404/405: a route the gateway does not offer yet (the board degrades instead of failing). */
export function isMissingRoute(err: unknown): boolean {
  // The gateway's not-found handler says "no route …"; a missing record is a 404 too.
  return err instanceof ApiError && ((err.status === 404 && err.message.startsWith('no route')) || err.status === 405)
}

/** A 400's failing fields by the path the gateway names (`password`, `config.rules.venue.repeat.yellowVisits`). */
export function fieldErrorsOf(err: unknown): Map<string, string> {
  return new Map(err instanceof ApiError ? err.fields.map((f) => [f.path, f.message]) : [])
}
