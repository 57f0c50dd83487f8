import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { useT } from './i18n'
import { toast } from './toast'

/**
 * A page (or a part of one) whose code loads when it is first shown. The map pages and the
 * elder page's trail map carry Leaflet, leaflet-geoman and pmtiles (several times the rest of
 * the board): the alert board on the wall screen starts without them, and a map loads them
 * once, from the gateway, the first time one is shown. Until then "…" stands in its place.
 */
export function lazyPage<P extends object = object>(load: () => Promise<(props: P) => JSX.Element>): (props: P) => JSX.Element {
  let loaded: ((props: P) => JSX.Element) | null = null
  let loading: Promise<(props: P) => JSX.Element> | null = null
  return function LazyPage(props: P): JSX.Element {
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
    return Page === null ? <p class="muted">…</p> : <Page {...props} />
  }
}
