import type { ComponentChildren, JSX } from 'preact'
import { Store } from './store'

/** Path routing (the gateway falls back to index.html for every non-API path). */
export const routeStore = new Store<string>(location.pathname)

window.addEventListener('popstate', () => routeStore.set(location.pathname))

export function navigate(path: string): void {
  if (path === location.pathname) return
  history.pushState(null, '', path)
  routeStore.set(path)
}

export function Link(props: { href: string; class?: string; children: ComponentChildren }): JSX.Element {
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return
    event.preventDefault()
    navigate(props.href)
  }
  return (
    <a href={props.href} class={props.class} onClick={onClick}>
      {props.children}
    </a>
  )
}
