import type { Aedes, AedesOptions, AuthenticateError, Client, PublishPacket } from 'aedes'
import type { Logger } from '../logger'
import { isClosingWill, sessionStoreOf } from './aedes-internals'
import { NEVER_EXPIRES, type SessionTerms } from './session-terms'

/**
 * MQTT 5 Session Expiry and Will Delay (§3.1.2.11, §3.1.3.2.2, §4.1) on aedes 1.2, whose sessions
 * are 3.1.1's: kept forever (clean session 0) or never (1), wills sent the moment a connection
 * drops.
 *
 * One record per client id that has a session. A connection claims it when it authenticates
 * (before aedes resumes or cleans anything): Clean Start ends the old session — its delayed
 * will goes out now, its state is wiped — otherwise the session goes on, a pending will and
 * expiry are cancelled [MQTT-3.1.3-9] and CONNACK says Session Present. When the connection
 * that holds the session closes, the session ends at once (expiry 0) or after its interval; a
 * will waits min(Will Delay, Session Expiry) and goes out when either is over [MQTT-3.1.3-9].
 * A takeover (the same id connects again while connected) hands the session over: the old
 * connection's close then changes nothing, and its delayed will is dropped if the session
 * goes on.
 *
 * State lives in this process: timers are lost with it (the session store, in memory, is
 * too), and on shutdown pending wills are sent at once — the sessions end with the broker.
 * 3.1.1 connections take part with clean session → Clean Start and expiry 0, else never.
 */
export interface SessionTableDeps {
  termsOf(client: Client): SessionTerms
  /** Sends a will through the gateway's own publish path (authorizePublish, then aedes.publish). */
  publishWill(client: Client, will: PublishPacket): Promise<void>
  /** Clustered: whether the device is connected to another node, whose session must not be wiped here. */
  connectedElsewhere?(clientId: string): boolean
  logger: Logger
}

interface PendingWill {
  client: Client
  will: PublishPacket
  timer: NodeJS.Timeout
}

interface SessionRecord {
  /** The connection holding the session; undefined while nobody is connected. */
  owner: Client | undefined
  /** Accepted and kept by aedes: a later Clean Start 0 resumes it, with Session Present [MQTT-3.2.2-2]. */
  established: boolean
  expiry?: NodeJS.Timeout | undefined
  will?: PendingWill | undefined
}

type AuthenticateHandler = NonNullable<AedesOptions['authenticate']>

export class SessionTable {
  private readonly sessions = new Map<string, SessionRecord>()
  private aedes: Aedes | undefined
  private closing = false

  constructor(private readonly deps: SessionTableDeps) {}

  attach(aedes: Aedes): void {
    this.aedes = aedes
    aedes.on('client', (client) => {
      // A clean aedes client keeps nothing (a takeover does not carry its subscriptions over).
      const record = this.sessions.get(client.id)
      if (record?.owner === client && !client.clean) record.established = true
    })
    aedes.on('clientDisconnect', (client) => this.released(client))
  }

  /** Wraps the authenticate hook: a connection that authenticated claims its session before aedes goes on. */
  claimOnAuthenticate(authenticate: AuthenticateHandler): AuthenticateHandler {
    return (client, username, password, done) => {
      authenticate(client, username, password, (err, ok) => {
        if (err !== null || ok !== true) return done(err, ok)
        this.claim(client).then(
          () => done(null, true),
          (cause: unknown) => {
            this.deps.logger.error({ err: cause, deviceId: client.id }, 'session store failed; refusing the connection')
            // CONNACK "server unavailable": the device retries.
            done(Object.assign(new Error('session store unavailable'), { returnCode: 3 }) as AuthenticateError, false)
          },
        )
      })
    }
  }

  /**
   * Called by authorizePublish for a will aedes is about to send: true when it is held here
   * (or dropped because the session goes on), false to let aedes send it now.
   */
  deferWill(client: Client, will: PublishPacket): boolean {
    if (this.closing || !isClosingWill(client, will)) return false
    const terms = this.deps.termsOf(client)
    const delaySeconds = Math.min(terms.willDelaySeconds, terms.sessionExpirySeconds)
    if (delaySeconds <= 0) return false
    const record = this.sessions.get(client.id)
    if (record?.owner !== client) {
      // Taken over by a connection that already claimed the session: it goes on unless that
      // connection started clean (then it ended, and the will is due now).
      const successor = record?.owner
      return successor !== undefined && !this.deps.termsOf(successor).cleanStart
    }
    const timer = setTimeout(() => void this.sendWill(record), delaySeconds * 1000)
    timer.unref()
    record.will = { client, will, timer }
    return true
  }

  /** Shutdown: the sessions end with this broker, so pending wills go out now. */
  async close(): Promise<void> {
    this.closing = true
    const pending: Array<Promise<void>> = []
    for (const record of this.sessions.values()) {
      clearTimeout(record.expiry)
      pending.push(this.sendWill(record))
    }
    this.sessions.clear()
    await Promise.all(pending)
  }

  private async claim(client: Client): Promise<void> {
    const terms = this.deps.termsOf(client)
    const previous = this.sessions.get(client.id)
    clearTimeout(previous?.expiry)
    this.sessions.set(client.id, { owner: client, established: !terms.cleanStart && previous?.established === true })
    if (previous === undefined) return
    if (!terms.cleanStart) {
      if (previous.will !== undefined) clearTimeout(previous.will.timer)
      if (previous.established) terms.sessionResumed()
      return
    }
    await this.sendWill(previous)
    // aedes wipes a clean session itself; one that starts clean but is to outlive the
    // connection reaches aedes as clean = 0 (mqtt5-translate.ts), so it is wiped here.
    if (!client.clean) await this.wipe(client.id, 'claimed here')
  }

  private released(client: Client): void {
    const record = this.sessions.get(client.id)
    if (record === undefined || record.owner !== client) return // taken over: the successor's terms apply
    record.owner = undefined
    const expirySeconds = this.deps.termsOf(client).sessionExpirySeconds
    if (expirySeconds === NEVER_EXPIRES || this.closing) return
    if (expirySeconds > 0) {
      record.expiry = setTimeout(() => void this.end(client.id, record, true), expirySeconds * 1000)
      record.expiry.unref()
      return
    }
    // Ends with the connection; aedes has already forgotten a clean client's session.
    void this.end(client.id, record, !client.clean)
  }

  private async end(clientId: string, record: SessionRecord, wipe: boolean): Promise<void> {
    if (this.sessions.get(clientId) !== record || record.owner !== undefined) return
    this.sessions.delete(clientId)
    try {
      await this.sendWill(record)
      if (wipe) await this.wipe(clientId, 'ended')
    } catch (err) {
      this.deps.logger.warn({ err, deviceId: clientId }, 'could not end an MQTT session')
    }
  }

  private async sendWill(record: SessionRecord): Promise<void> {
    const pending = record.will
    if (pending === undefined) return
    record.will = undefined
    clearTimeout(pending.timer)
    await this.deps.publishWill(pending.client, pending.will)
  }

  /**
   * Subscriptions, queued messages and QoS 2 state of the session go (aedes' own clean start
   * does the same). Clustered, a session that ended here may meanwhile be in use on another
   * node (the store is shared): then it is left alone.
   */
  private async wipe(clientId: string, why: 'claimed here' | 'ended'): Promise<void> {
    if (this.aedes === undefined) return
    if (why === 'ended' && this.deps.connectedElsewhere?.(clientId) === true) return
    const store = sessionStoreOf(this.aedes)
    const owner = { id: clientId }
    await store.cleanSubscriptions(owner)
    await store.cleanIncoming?.(owner)
    for await (const queued of store.outgoingStream(owner)) await store.outgoingClearMessageId(owner, queued as { messageId?: number })
  }
}
