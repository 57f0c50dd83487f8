import type { Writable } from 'node:stream'

/**
 * Coalesces the PUBACKs a group commit releases into one write per connection.
 *
 * With durable acknowledgement (DESIGN §3) a device's PUBACKs go out when the writer's batch
 * commits, not while aedes parses its chunk, so the cork in pacing.ts (which covers one read)
 * no longer groups them: mqtt-packet corks each PUBACK only until the next tick, and every one
 * became its own writev syscall and TCP segment — about a tenth of a core at 15,000 msg/s in
 * bench:ingest, and as many wake-ups for the device. One commit resolves the promises of every
 * message in its batch in the same drain of the microtask queue; holding each connection corked
 * until setImmediate (the check phase of the same turn of the loop, after that drain) sends
 * all of a device's released PUBACKs in one write. Nothing waits longer than that turn.
 */
const held = new Set<Writable>()

function releaseAll(): void {
  for (const conn of held) conn.uncork()
  held.clear()
}

/** Hold writes to `conn` until the end of this turn of the event loop (idempotent within a turn). */
export function coalesceWrites(conn: Writable): void {
  if (held.has(conn) || conn.destroyed) return
  conn.cork()
  held.add(conn)
  if (held.size === 1) setImmediate(releaseAll)
}
