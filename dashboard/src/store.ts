import { useEffect, useState } from 'preact/hooks'

/** A value with listeners: the board's shared state without a state library. */
export class Store<T> {
  private readonly listeners = new Set<(value: T) => void>()
  constructor(private current: T) {}

  get value(): T {
    return this.current
  }

  set(value: T): void {
    if (Object.is(value, this.current)) return
    this.current = value
    for (const listener of this.listeners) listener(value)
  }

  update(fn: (value: T) => T): void {
    this.set(fn(this.current))
  }

  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

/** Re-renders the component whenever the store changes. */
export function useStore<T>(store: Store<T>): T {
  const [, setTick] = useState(0)
  useEffect(() => store.subscribe(() => setTick((n) => n + 1)), [store])
  return store.value
}
