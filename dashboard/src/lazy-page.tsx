import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { useT } from './i18n'
import { toast } from './toast'

/**
 * A page whose code loads when it is first opened. The map pages carry Leaflet, leaflet-geoman
 * and pmtiles (several times the rest of the board): the alert board on the wall screen starts
 * without them, and the map loads them once, from the gateway, the first time it is opened.
 */
export function lazyPage(load: () => Promise<() => JSX.Element>): () => JSX.Element {
  let loaded: (() => JSX.Element) | null = null
  let loading: Promise<() => JSX.Element> | null = null
  return function LazyPage(): JSX.Element {
    const { t } = useT()
    const [page, setPage] = useState(() => loaded)
    useEffect(() => {
      if (page !== null) return
      let live = true
      loading ??= load().then((p) => (loaded = p))
      loading.then(
        (p) => live && setPage(() => p),
        (err: unknown) => {
          // A gateway restarted with a new build names other chunk files: a reload fetches them.
          loading = null
          toast(`${t('loadFailed')}: ${(err as Error).message}`, 'error')
        },
      )
      return () => {
        live = false
      }
    }, [])
    const Page = page
    return Page === null ? <p class="muted">…</p> : <Page />
  }
}
