import { mapLimit } from '../core/api-client'
import { DAY_MS, localMidnight, VirtualClock } from '../core/clock'
import { CameraSim } from '../devices/camera-sim'
import { DeviceLink, type VoiceCommand } from '../devices/device-link'
import { httpIngestConnector } from '../devices/http-ingest-transport'
import { mqttConnector, type Connector, type DeviceCredentialsForLink } from '../devices/transport'
import { parseWatchAddress, watchProtocolConnector, type WatchProtocolConnector } from '../devices/watch-protocol-transport'
import type { WatchHabit } from '../devices/upload-plan'
import { WatchSim } from '../devices/watch-sim'
import { ElderRoutine, type RoutineOptions } from '../routine/elder-routine'
import { endPlace, type DayPlan } from '../routine/plan'
import type { WatchProtocol } from '../town/protocols'
import type { Place, Town, TownElder } from '../town/town'
import { DeviceTimeline } from './timeline'

/**
 * Runs a town: one watch and one camera per elder, driven by each elder's routine
 * on a virtual clock (event time = start + wall elapsed × speed; the gateway runs with
 * EG_CLOCK=event). Days are planned one ahead as the clock reaches them, in order, so device
 * state (battery) carries over and the same seed gives the same events. Cameras speak MQTT;
 * each watch speaks what the town registered it with (TownElder.watchProtocol: MQTT, the 4G
 * watch protocol on `watchAddress`, or HTTP ingest at `ingestUrl`).
 */
export interface TownSimOptions {
  town: Town
  mqttUrl: string
  seed: number
  speed: number
  /** Event time of the first instant (defaults to local midnight `days` days ago). */
  start?: number
  days: number
  /** Link outages per device-day (0 disables; watches default 0.3, cameras a third of it). */
  flakiness?: number
  routine?: RoutineOptions
  /** host:port of the gateway's watch port (EG_WATCH_PORT): required when a watch speaks the watch protocol. */
  watchAddress?: string
  /** The gateway's HTTP base URL for HTTP ingest: required when a watch speaks HTTP. */
  ingestUrl?: string
  /** Replaces every device's connector, whatever its protocol (tests). */
  connector?: Connector
  tickMs?: number
  /**
   * How far (event time) the clock may run ahead of the newest instant whose publishes are all
   * acknowledged. Default 10 min: see TownSim.now().
   */
  maxLeadMs?: number
  connectConcurrency?: number
  onCommand?: (deviceId: string, command: VoiceCommand) => void
  onError?: (deviceId: string, err: Error) => void
  /** Called with every plan as it is made (the scenario library checks its plants here). */
  onPlan?: (plan: DayPlan) => void
}

interface ElderRun {
  elder: TownElder
  routine: ElderRoutine
  watch: DeviceTimeline
  camera: DeviceTimeline
  /** Start of the next day to plan. */
  plannedUntil: number
  wakePlace: Place | undefined
}

export interface RunSummary {
  elders: number
  devices: number
  readings: number
  events: number
  buffered: number
  uploads: number
  drops: number
  commands: number
  acks: number
  publishErrors: number
  /** Watches by protocol. */
  watchProtocols: Record<WatchProtocol, number>
  /** Messages a protocol watch had no frame for (worn, power_off; see watch-protocol-content.ts), by name. */
  notInProtocol: Record<string, number>
  eventFrom: number
  eventTo: number
  wallMs: number
}

/** Local midnight `days` days before today's: a run that ends no later than now (the gateway refuses future times). */
export function defaultStart(days: number, utcOffsetMin: number, now = Date.now()): number {
  return localMidnight(now, utcOffsetMin) - days * DAY_MS
}

/** The default bound on how far the run's clock leads the gateway's acknowledgements. */
export const DEFAULT_MAX_LEAD_MS = 10 * 60_000
/** Wall ms a pacing wait lasts at most. */
const PACE_CAP_MS = 1_000

export class TownSim {
  readonly start: number
  readonly end: number
  private readonly runs: ElderRun[]
  private clock: VirtualClock | undefined
  private timer: NodeJS.Timeout | undefined
  private finished: Promise<RunSummary> | undefined
  private wallStarted = 0
  private readonly flakiness: number
  /** Event time up to which every publish of the run is acknowledged (or gave up on: PACE_CAP_MS). */
  private ackedTo: number
  private pacing: Promise<void> | undefined
  private readonly maxLeadMs: number
  private readonly watchProtocol: WatchProtocolConnector | undefined

  constructor(private readonly opts: TownSimOptions) {
    opts.town.requireSeeded()
    this.start = opts.start ?? defaultStart(opts.days, opts.town.file.utcOffsetMin)
    this.end = this.start + opts.days * DAY_MS
    const connector = opts.connector ?? mqttConnector(opts.mqttUrl)
    const speaks = (p: WatchProtocol) => opts.town.elders.some((e) => (e.watchProtocol ?? 'mqtt') === p)
    // Made only when needed, and refused at once when the run cannot reach them.
    if (!opts.connector && speaks('watch') && !opts.watchAddress) throw new Error('the town has watch-protocol watches: give the gateway\'s watch port (EG_WATCH_PORT) as watchAddress / --watch host:port')
    if (!opts.connector && speaks('http') && !opts.ingestUrl) throw new Error('the town has HTTP-ingest watches: give the gateway\'s HTTP URL as ingestUrl')
    this.watchProtocol = !opts.connector && opts.watchAddress ? watchProtocolConnector(parseWatchAddress(opts.watchAddress)) : undefined
    const connectors: Record<WatchProtocol, Connector> = {
      mqtt: connector,
      watch: opts.connector ?? this.watchProtocol ?? connector,
      http: opts.connector ?? (opts.ingestUrl ? httpIngestConnector(opts.ingestUrl) : connector),
    }
    this.flakiness = opts.flakiness ?? 0.3
    this.ackedTo = this.start
    this.maxLeadMs = opts.maxLeadMs ?? DEFAULT_MAX_LEAD_MS
    const flaky = this.flakiness
    const linkOpts = { clock: () => this.now(), beforeUpload: () => this.gatewayCaughtUp(), ...(opts.onCommand ? { onCommand: opts.onCommand } : {}), ...(opts.onError ? { onError: opts.onError } : {}) }
    this.runs = opts.town.elders.map((elder) => ({
      elder,
      routine: new ElderRoutine(opts.town, elder, opts.seed, opts.routine),
      watch: new DeviceTimeline(new WatchSim(elder, opts.seed, { flakiness: flaky }), new DeviceLink(elder.watch as DeviceCredentialsForLink, connectors[elder.watchProtocol ?? 'mqtt'], linkOpts)),
      camera: new DeviceTimeline(new CameraSim(elder, opts.seed, { flakiness: flaky / 3 }), new DeviceLink(elder.camera as { id: string; secret: string }, connector, linkOpts)),
      plannedUntil: localMidnight(this.start, opts.town.file.utcOffsetMin),
      wakePlace: undefined,
    }))
  }

  /**
   * How the elder's watch records and delivers (power saving, late uploads, a dead link): a
   * scenario's `elder.watch`. Before startRun(): the watch's state runs from the first day.
   */
  setWatchHabit(elderKey: string, habit: WatchHabit): void {
    if (this.clock) throw new Error('setWatchHabit() must come before startRun()')
    const run = this.runOf(elderKey)
    run.watch = new DeviceTimeline(new WatchSim(run.elder, this.opts.seed, { flakiness: this.flakiness, habit }), run.watch.link)
  }

  /** The elder's routine: call `.override(dates, fn)` before start() to plant a scenario. */
  routine(elderKey: string): ElderRoutine {
    return this.runOf(elderKey).routine
  }

  private runOf(elderKey: string): ElderRun {
    const run = this.runs.find((r) => r.elder.key === elderKey || r.elder.id === elderKey)
    if (!run) throw new Error(`no elder ${elderKey} in the run`)
    return run
  }

  /**
   * Event time: the virtual clock, held at a power-saving watch's upload until the upload is on
   * the wire (see DeviceLink.uploading), so no device's later readings overtake it — and never
   * more than `maxLeadMs` ahead of what the gateway has acknowledged. Without that bound a
   * stall of either process (a GC pause, a slow flush) becomes event time: at ×20,000, 100 ms
   * is half an hour, played device by device in one tick, and devices whose turn came later
   * reach the gateway half an hour "late" on its event clock — a silence that the simulated
   * world never had (the gateway measures silence by arrival, DESIGN §5). Bounded, devices
   * arrive at most `maxLeadMs` apart: the run slows down rather than inventing outages.
   */
  now(): number {
    if (!this.clock) return this.start
    let now = Math.min(this.clock.now(), this.end, this.ackedTo + this.maxLeadMs)
    for (const run of this.runs) now = Math.min(now, run.watch.holdAt)
    return now
  }

  get links(): DeviceLink[] {
    return this.runs.flatMap((r) => [r.watch.link, r.camera.link])
  }

  /** Connects every device, then starts the clock. Resolves once the clock runs. */
  async startRun(): Promise<void> {
    await mapLimit(this.links, this.opts.connectConcurrency ?? 50, (link) => link.connect())
    for (const run of this.runs) this.planAhead(run, this.start)
    this.wallStarted = Date.now()
    this.clock = new VirtualClock(this.start, this.opts.speed)
    let resolveDone: (s: RunSummary) => void = () => undefined
    let rejectDone: (e: Error) => void = () => undefined
    this.finished = new Promise<RunSummary>((resolve, reject) => {
      resolveDone = resolve
      rejectDone = reject
    })
    const tick = () => {
      try {
        const now = this.now()
        for (const run of this.runs) {
          this.planAhead(run, now)
          run.watch.playUntil(now)
          run.camera.playUntil(now)
        }
        this.pace(now)
        if (now >= this.end) {
          clearInterval(this.timer)
          this.timer = undefined
          void this.settle().then(resolveDone, rejectDone)
        }
      } catch (err) {
        clearInterval(this.timer)
        rejectDone(err as Error)
      }
    }
    this.timer = setInterval(tick, this.opts.tickMs ?? 20)
  }

  /** Resolves when the last simulated instant has been sent and acknowledged. */
  done(): Promise<RunSummary> {
    if (!this.finished) throw new Error('startRun() first')
    return this.finished
  }

  /** Disconnects every device (publishing `offline`); safe to call at any time. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    await mapLimit(this.links, 100, (link) => link.close())
  }

  summary(): RunSummary {
    const timelines = this.runs.flatMap((r) => [r.watch, r.camera])
    const sum = (pick: (l: DeviceLink) => number) => this.links.reduce((n, l) => n + pick(l), 0)
    return {
      elders: this.runs.length,
      devices: timelines.length,
      readings: timelines.reduce((n, t) => n + t.sentReadings, 0),
      events: timelines.reduce((n, t) => n + t.sentEvents, 0),
      buffered: sum((l) => l.stats.buffered),
      uploads: sum((l) => l.stats.uploads),
      drops: sum((l) => l.stats.drops),
      commands: sum((l) => l.stats.commands),
      acks: sum((l) => l.stats.acks),
      publishErrors: sum((l) => l.stats.publishErrors),
      watchProtocols: this.runs.reduce<Record<WatchProtocol, number>>((n, r) => ({ ...n, [r.elder.watchProtocol ?? 'mqtt']: n[r.elder.watchProtocol ?? 'mqtt'] + 1 }), { mqtt: 0, watch: 0, http: 0 }),
      notInProtocol: { ...this.watchProtocol?.stats.skipped },
      eventFrom: this.start,
      eventTo: this.now(),
      wallMs: this.wallStarted ? Date.now() - this.wallStarted : 0,
    }
  }

  /**
   * Moves `ackedTo` to `playedTo` once everything published so far is acknowledged. One wait at
   * a time: the next covers what later ticks published. A link that lost its connection holds
   * its publishes until it reconnects; the world does not stop for it — after PACE_CAP_MS the
   * clock goes on (pacing bounds skew, it is not what makes the run complete: settle() is).
   */
  private pace(playedTo: number): void {
    if (this.pacing) return
    let timer: NodeJS.Timeout | undefined
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, PACE_CAP_MS)
      timer.unref()
    })
    this.pacing = Promise.race([this.gatewayCaughtUp(), cap]).then(() => {
      clearTimeout(timer)
      if (playedTo > this.ackedTo) this.ackedTo = playedTo
      this.pacing = undefined
    })
  }

  /** Resolves once every device's publishes so far are acknowledged: the gateway has read them all. */
  private async gatewayCaughtUp(): Promise<void> {
    await Promise.all(this.links.map((l) => l.idle()))
  }

  /** Plans the elder's next day once the clock is within a day of it. */
  private planAhead(run: ElderRun, now: number): void {
    while (run.plannedUntil < this.end && run.plannedUntil <= now + DAY_MS / 2) {
      const plan = run.routine.planDay(run.plannedUntil, run.wakePlace)
      this.opts.onPlan?.(plan)
      run.wakePlace = endPlace(plan)
      // Simulated even when clipped away: battery and other device state must carry over.
      run.watch.addDay(run.watch.sim.simulateDay(plan), this.start, this.end)
      run.camera.addDay(run.camera.sim.simulateDay(plan), this.start, this.end)
      run.plannedUntil = plan.end
    }
  }

  /** The end: bring every link up (uploading its buffer) and wait for the PUBACKs. */
  private async settle(): Promise<RunSummary> {
    for (const run of this.runs) {
      run.watch.playUntil(this.end)
      run.camera.playUntil(this.end)
    }
    await mapLimit(this.links, 100, async (link) => {
      await link.goUp()
      await link.settled()
    })
    return this.summary()
  }
}
