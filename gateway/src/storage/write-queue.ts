/**
 * A FIFO that frees its front lazily: rows are taken into a batch (`next` moves on) but leave
 * (`head` moves on) only once their batch is durable, in order.
 */
export class Queue<T> {
  items: T[] = []
  head = 0
  next = 0
  /** Not yet durable (taken or not). */
  get length(): number {
    return this.items.length - this.head
  }
  /** Not yet taken into a batch. */
  get untaken(): number {
    return this.items.length - this.next
  }
  peek(): T | undefined {
    return this.items[this.head]
  }
  take(n: number): T[] {
    const taken = this.items.slice(this.next, this.next + n)
    this.next += taken.length
    return taken
  }
  drop(n: number): void {
    this.head += n
    // Compact once the dead front outweighs the live rest: amortised O(1) per row.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head)
      this.next -= this.head
      this.head = 0
    }
  }
}
