import { mergeAlerts } from './alert-board'
import { api, fetchAll, isMissingRoute } from './api'
import { Store } from './store'
import type { Alert, Elder, StreamChange } from './types'

/**
 * The board's shared data: every alert (live from the stream, first from REST) and the elders
 * (names for the rows, the risk list). Pages with their own lists (notices, devices, voice
 * prompts) subscribe to stream changes with `onStreamChange`.
 */
export const alertsStore = new Store<ReadonlyMap<string, Alert>>(new Map())
export const eldersStore = new Store<ReadonlyMap<string, Elder>>(new Map())
/** What the last load of alerts said: null = fine; else a message key's worth of trouble. */
export const alertsLoadError = new Store<'missing' | 'failed' | null>(null)
export const alertsLoading = new Store<boolean>(false)

export async function loadAlerts(): Promise<void> {
  alertsLoading.set(true)
  try {
    // Unresolved alerts in full; resolved ones as history (the newest come first from the API).
    const [active, acknowledged, resolved] = await Promise.all([
      fetchAll<Alert>('/alerts?status=open'),
      fetchAll<Alert>('/alerts?status=acknowledged'),
      fetchAll<Alert>('/alerts?status=resolved', 2_000),
    ])
    alertsStore.update((current) => mergeAlerts(current, [...active, ...acknowledged, ...resolved]))
    alertsLoadError.set(null)
  } catch (err) {
    alertsLoadError.set(isMissingRoute(err) ? 'missing' : 'failed')
  } finally {
    alertsLoading.set(false)
  }
}

export async function loadElders(): Promise<void> {
  try {
    const elders = await fetchAll<Elder>('/elders')
    eldersStore.set(new Map(elders.map((e) => [e.id, e])))
  } catch {
    // Police users may not list elders: rows then show the elder id.
  }
}

export async function ensureElder(id: string): Promise<Elder | undefined> {
  const known = eldersStore.value.get(id)
  if (known !== undefined) return known
  try {
    const elder = await api<Elder>('GET', `/elders/${encodeURIComponent(id)}`)
    eldersStore.update((m) => new Map(m).set(id, elder))
    return elder
  } catch {
    return undefined
  }
}

export function applyAlertUpdates(alerts: readonly Alert[]): void {
  alertsStore.update((current) => mergeAlerts(current, alerts))
}

type ChangeListener = (change: StreamChange) => void
const changeListeners = new Set<ChangeListener>()

export function onStreamChange(listener: ChangeListener): () => void {
  changeListeners.add(listener)
  return () => changeListeners.delete(listener)
}

export function emitStreamChange(change: StreamChange): void {
  for (const listener of changeListeners) listener(change)
}

export function resetData(): void {
  alertsStore.set(new Map())
  eldersStore.set(new Map())
  alertsLoadError.set(null)
}
