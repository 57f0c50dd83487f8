import type { JSX } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'

/**
 * Renders only the rows in view (plus a few either side) inside a scroller of the full
 * height: 10,000 alerts cost the DOM of about twenty. Rows have one fixed height, so the
 * window is arithmetic, not measurement.
 */
export interface VirtualListProps<T> {
  items: readonly T[]
  rowHeight: number
  keyOf(item: T): string
  renderRow(item: T, index: number): JSX.Element
  overscan?: number
  testId?: string
}

export function VirtualList<T>(props: VirtualListProps<T>): JSX.Element {
  const scroller = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [viewport, setViewport] = useState(800)
  const overscan = props.overscan ?? 6

  useEffect(() => {
    const el = scroller.current
    if (el === null) return
    setViewport(el.clientHeight)
    const observer = new ResizeObserver(() => setViewport(el.clientHeight))
    observer.observe(el)
    return () => observer.disconnect()
  }, [])

  const total = props.items.length * props.rowHeight
  const first = Math.max(0, Math.floor(scrollTop / props.rowHeight) - overscan)
  const last = Math.min(props.items.length, Math.ceil((scrollTop + viewport) / props.rowHeight) + overscan)
  const rows: JSX.Element[] = []
  for (let i = first; i < last; i++) {
    const item = props.items[i]
    if (item === undefined) continue
    rows.push(
      <div key={props.keyOf(item)} class="vrow" style={{ top: `${i * props.rowHeight}px`, height: `${props.rowHeight}px` }}>
        {props.renderRow(item, i)}
      </div>,
    )
  }

  return (
    <div
      ref={scroller}
      class="vlist"
      data-testid={props.testId}
      data-rows={props.items.length}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div class="vlist-inner" style={{ height: `${total}px` }}>
        {rows}
      </div>
    </div>
  )
}

/** A row height in rem as pixels, following the root font size (larger on a wall screen). */
export function useRemPixels(rem: number): number {
  const read = () => Math.round(rem * (Number.parseFloat(getComputedStyle(document.documentElement).fontSize) || 20))
  const [px, setPx] = useState(read)
  useEffect(() => {
    const onResize = () => setPx(read())
    window.addEventListener('resize', onResize)
    return () => window.removeEventListener('resize', onResize)
  }, [rem])
  return px
}
