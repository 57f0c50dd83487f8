import type { JSX } from 'preact'
import { Store, useStore } from './store'

/** One short message at a time (an action failed, a prompt was sent). */
export const toastStore = new Store<{ text: string; kind: 'ok' | 'error' } | null>(null)
let timer: ReturnType<typeof setTimeout> | undefined

export function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
  toastStore.set({ text, kind })
  clearTimeout(timer)
  timer = setTimeout(() => toastStore.set(null), kind === 'error' ? 8_000 : 4_000)
}

export function Toast(): JSX.Element | null {
  const current = useStore(toastStore)
  if (current === null) return null
  return (
    <div class={`toast toast-${current.kind}`} role={current.kind === 'error' ? 'alert' : 'status'} data-testid="toast">
      {current.text}
    </div>
  )
}
