import { backoffCeilingMs } from '../retry/backoff'
import type { Change } from '../stream/change-log-store'
import type { CommandTransport } from '../device-commands'
import type { CommandAck } from '../ingest/types'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import type { Db, Queryable } from '../storage/db'
import { appendVoiceChanges, queuedPromptOf } from './changes'
import { applyAck, expirePrompts, markSent, pendingPrompts, type VoicePrompt, type VoiceTransition } from './voice-store'

/**
 * Gets voice prompts to the devices (DESIGN §3: QoS 1 command on eg/v1/<deviceId>/cmd) and
 * follows them through the device's acks.
 *
 * Hot path: after an alert commits, wake(changes) sends the freshly queued prompts straight
 * from their change-log entries — no database read before the publish (the target is
 * p99 ≤ 50 ms from the reading to the command at the device); the "sent" bookkeeping follows.
 *
 * Delivery is at least once: a device that was offline gets its prompts on reconnect, and a
 * sent prompt without an ack is re-sent with backoff until it expires, because a device that
 * just connected with a clean session may not have subscribed to its cmd topic yet when the
 * first copy goes out. Devices recognise a repeat by the command id.
 */
export interface VoiceDispatcherOptions {
  db: Db
  /** The device transports (device-commands.ts: the MQTT broker, the watch port). */
  broker: CommandTransport
  logger: Logger
  metrics?: Metrics
  /** Wall clock: re-send backoff and sent_at. */
  clock?: () => number
  /** The tenant's rule clock (EG_CLOCK): prompts expire on it — their expiry was set on it. */
  ruleClock?: (tenantId: string) => number
  /** How often pending prompts are re-sent and overdue ones expired (0: only on demand, for tests). */
  sweepMs?: number
  /** First re-send of an unacknowledged prompt; doubles per send up to resendMaxMs. */
  resendBaseMs?: number
  resendMaxMs?: number
}

export interface VoiceDispatcher {
  /** After a commit: sends the queued prompts among `changes`; without changes, sweeps storage for them. */
  wake(changes?: readonly Change[]): void
  /** The broker's onConnect hook: (re-)sends that device's queued and unacknowledged prompts. */
  deviceConnected(deviceId: string): void
  /** The intake's onAcks sink: delivered → played / failed, forward only, own device only. */
  onAcks(acks: readonly CommandAck[]): void
  /** Every status change the dispatcher commits (change-log entries, topic 'voice'). */
  onChanges(listener: (changes: readonly Change[]) => void): () => void
  /** Expire overdue prompts and (re-)send the due ones now. */
  sweep(): Promise<void>
  /** Resolves when all work started so far has finished (tests, shutdown). */
  idle(): Promise<void>
  close(): Promise<void>
}

const SWEEP_LIMIT = 1000
const CONNECT_LIMIT = 100

export function createVoiceDispatcher(opts: VoiceDispatcherOptions): VoiceDispatcher {
  const { db, broker } = opts
  const log = opts.logger.child({ component: 'voice' })
  const clock = opts.clock ?? Date.now
  const ruleClock = opts.ruleClock ?? (() => clock())
  const unexpired = (p: VoicePrompt) => Date.parse(p.expiresAt) > ruleClock(p.tenantId)
  const resendBaseMs = opts.resendBaseMs ?? 2_000
  const resendMaxMs = opts.resendMaxMs ?? 300_000
  const counters = opts.metrics?.voice
  const listeners = new Set<(changes: readonly Change[]) => void>()
  /** Prompts being published or recorded right now: nobody else sends them meanwhile. */
  const inFlight = new Set<string>()
  /** Sends not yet visible in storage (or newer than it): what the backoff counts from. */
  const lastSend = new Map<string, { at: number; count: number }>()
  const work = new Set<Promise<void>>()
  let sweeping: Promise<void> | null = null
  let sweepAgain = false
  let closed = false

  function track(what: string, job: Promise<void>): void {
    const tracked = job.catch((err: unknown) => log.error({ err }, `voice ${what} failed`)).finally(() => work.delete(tracked))
    work.add(tracked)
  }

  function emit(changes: readonly Change[]): void {
    if (changes.length === 0) return
    for (const listener of listeners) {
      try {
        listener(changes)
      } catch (err) {
        log.error({ err }, 'voice change listener threw')
      }
    }
  }

  /** Commits status changes with their change-log entries, then tells the listeners. */
  async function commit(change: (tx: Queryable) => Promise<VoiceTransition[]>): Promise<VoiceTransition[]> {
    let transitions: VoiceTransition[] = []
    const changes = await db.transaction(async (tx) => {
      transitions = (await change(tx)).filter((t) => t.previousStatus !== t.prompt.status)
      return appendVoiceChanges(tx, transitions)
    })
    for (const t of transitions) counters?.transitions.inc({ status: t.prompt.status })
    emit(changes)
    return transitions
  }

  function isDue(p: VoicePrompt, now: number): boolean {
    const mem = lastSend.get(p.id)
    const at = mem?.at ?? (p.sentAt === null ? null : Date.parse(p.sentAt))
    if (at === null) return true
    const sends = Math.max(mem?.count ?? 0, p.sendCount, 1)
    // Undelayed ceiling of the shared backoff: a re-send is due once it has passed.
    return now - at >= backoffCeilingMs(sends, { baseMs: resendBaseMs, factor: 2, capMs: resendMaxMs })
  }

  /** Publishes the prompts that are unexpired, not in flight, on a connected device and (unless forced) due. */
  async function deliver(prompts: readonly VoicePrompt[], force: boolean): Promise<void> {
    const now = clock()
    const batch = prompts.filter(
      (p) => !inFlight.has(p.id) && unexpired(p) && broker.isConnected(p.deviceId) && (force || isDue(p, now)),
    )
    if (batch.length === 0) return
    for (const p of batch) inFlight.add(p.id)
    try {
      const sent: string[] = []
      await Promise.all(
        batch.map((p) =>
          broker.sendCommand(p.deviceId, { id: p.id, type: 'voice', text: p.text, lang: p.lang, priority: p.priority, expiresAt: p.expiresAt }).then(
            () => {
              sent.push(p.id)
              counters?.sends.inc()
              lastSend.set(p.id, { at: now, count: Math.max(lastSend.get(p.id)?.count ?? 0, p.sendCount) + 1 })
            },
            (err: unknown) => log.warn({ err, promptId: p.id, deviceId: p.deviceId }, 'voice command not published; will retry'),
          ),
        ),
      )
      // A failure here leaves the rows queued: the next sweep sends them again (at least once).
      if (sent.length > 0) await commit((tx) => markSent(tx, sent, new Date(now)))
    } finally {
      for (const p of batch) inFlight.delete(p.id)
    }
  }

  async function runSweep(): Promise<void> {
    const pending = await pendingPrompts(db, { limit: SWEEP_LIMIT })
    const overdue = pending.filter((p) => !unexpired(p) && !inFlight.has(p.id))
    // Per tenant: each expires against its own rule clock.
    for (const tenantId of new Set(overdue.map((p) => p.tenantId))) {
      const ids = overdue.filter((p) => p.tenantId === tenantId).map((p) => p.id)
      const expired = await commit((tx) => expirePrompts(tx, ids, new Date(ruleClock(tenantId))))
      for (const t of expired) lastSend.delete(t.prompt.id)
    }
    if (pending.length < SWEEP_LIMIT) {
      const live = new Set(pending.map((p) => p.id))
      for (const id of lastSend.keys()) if (!live.has(id) && !inFlight.has(id)) lastSend.delete(id)
    }
    await deliver(pending, false)
  }

  function sweep(): Promise<void> {
    if (sweeping) {
      sweepAgain = true
      return sweeping
    }
    sweeping = (async () => {
      try {
        do {
          sweepAgain = false
          await runSweep()
        } while (sweepAgain && !closed)
      } finally {
        sweeping = null
      }
    })()
    return sweeping
  }

  const timer = opts.sweepMs === 0 ? undefined : setInterval(() => track('sweep', sweep()), opts.sweepMs ?? 2_000)
  timer?.unref()

  return {
    wake(changes) {
      if (closed) return
      if (changes === undefined) return track('sweep', sweep())
      const queued: VoicePrompt[] = []
      for (const change of changes) {
        const prompt = queuedPromptOf(change)
        if (prompt) queued.push(prompt)
      }
      if (queued.length > 0) track('send', deliver(queued, false))
    },

    deviceConnected(deviceId) {
      if (closed) return
      // A new connection: whatever went to the old one may be lost, so due or not, send again.
      track('reconnect send', pendingPrompts(db, { deviceId, limit: CONNECT_LIMIT }).then((prompts) => deliver(prompts, true)))
    },

    onAcks(acks) {
      if (closed || acks.length === 0) return
      const at = new Date(clock())
      track(
        'ack',
        commit(async (tx) => {
          const transitions: VoiceTransition[] = []
          for (const ack of acks) {
            const t = await applyAck(tx, { tenantId: ack.tenantId, deviceId: ack.deviceId, promptId: ack.commandId, status: ack.status }, at)
            if (t) transitions.push(t)
            else log.debug({ commandId: ack.commandId, deviceId: ack.deviceId, status: ack.status }, 'voice ack ignored (unknown, foreign or backwards)')
          }
          return transitions
        }).then((transitions) => {
          for (const t of transitions) lastSend.delete(t.prompt.id)
        }),
      )
    },

    onChanges(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    sweep,

    async idle() {
      while (work.size > 0 || sweeping) await Promise.all([...work, sweeping])
    },

    async close() {
      closed = true
      if (timer) clearInterval(timer)
      await this.idle()
    },
  }
}
