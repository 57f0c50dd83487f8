import type { DeviceEventBody, DeviceEventType, WatchReadingBody } from './messages'

/**
 * What a 4G watch on the TCP protocol (DESIGN §3b) writes for what an MQTT watch publishes: the
 * CONTENT of its frames. Pure; the framing is the gateway's own encodeFrame (one definition of
 * the contract), and the tests read every CONTENT back through the gateway's decodeContent, so
 * this writer and the gateway's reader cannot drift apart unnoticed.
 *
 * The protocol says less than the MQTT contract, and the simulated watch says only what a real
 * one could:
 * - a fix carries no accuracy or source: GPS and wifi fixes (tens of metres) go out as valid
 *   (`A`); a cell-tower (lbs) fix, hundreds of metres off, goes out as "no position" (`V`) —
 *   a real watch sends cell ids there, which the gateway does not geolocate;
 * - heart rate has no field in a fix; a reading with nothing but a heart rate is a `heart,hr`
 *   frame, sent live only (the gateway stamps it with its arrival: a late one would be stamped
 *   wrong);
 * - sos, fall, removed and low_battery are alarm bits (the high 16) of an `AL` frame at the last
 *   known fix; worn, power_off and the door events have no frame at all;
 * - whether the watch is on the wrist is a state bit (the low 16: bit 3 "taken off") of every
 *   fix's status word, as these watches report it (e.g. the kidtracker server for this protocol
 *   reads it so). The gateway does not read state bits yet: see the issue note.
 */

/** AL status bits (DESIGN §3b). Fall has two (21, 22); a watch sets one. */
export const ALARM_BITS: Readonly<Partial<Record<DeviceEventType, number>>> = {
  sos: 1 << 16,
  low_battery: 1 << 17,
  removed: 1 << 20,
  fall: 1 << 21,
}

/** Status state bit: the watch is off the wrist (set from a `removed` until a `worn` or a worn reading). */
export const TAKEN_OFF_BIT = 1 << 3

/** One frame's CONTENT; `answered`: the gateway answers it (AL), so it needs no LK barrier. */
export interface WatchContent {
  cmd: 'UD' | 'UD2' | 'AL' | 'heart'
  content: string
  answered: boolean
}

export interface Translation {
  contents: WatchContent[]
  /** What had no frame, by name (`event:worn`, `reading:hr-late`): counted, never sent. */
  skipped: string[]
}

const two = (n: number): string => String(n).padStart(2, '0')

/** `DDMMYY,HHMMSS` of an instant on a watch clock `offsetMinutes` ahead of UTC; seconds are all the protocol has. */
export function watchClock(ts: number, offsetMinutes = 0): string {
  const d = new Date(ts + offsetMinutes * 60_000)
  return `${two(d.getUTCDate())}${two(d.getUTCMonth() + 1)}${two(d.getUTCFullYear() % 100)},${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`
}

interface Fix {
  lat: number
  lon: number
}

/** The 16 fields of UD/UD2/AL: DDMMYY,HHMMSS,A|V,lat,N|S,lon,E|W,speed,course,alt,sats,gsm,battery,steps,rolls,status. */
function fixFields(ts: number, offsetMinutes: number, fix: Fix | undefined, bat: number | undefined, steps: number | undefined, status: number): string {
  const position = fix
    ? `A,${Math.abs(fix.lat).toFixed(6)},${fix.lat >= 0 ? 'N' : 'S'},${Math.abs(fix.lon).toFixed(6)},${fix.lon >= 0 ? 'E' : 'W'}`
    : 'V,0.000000,N,0.000000,E'
  const sats = fix ? 8 : 0
  const opt = (n: number | undefined) => (n === undefined ? '' : String(Math.round(n)))
  return `${watchClock(ts, offsetMinutes)},${position},0.00,0.0,0,${sats},100,${opt(bat)},${opt(steps)},0,${status.toString(16).toUpperCase().padStart(8, '0')}`
}

/**
 * Per device, across its connections: an alarm goes out at the last known fix with the last
 * known battery and steps, as a real watch's AL does. Create one per watch and keep it.
 */
export class WatchContentWriter {
  private lastFix: Fix | undefined
  private lastBat: number | undefined
  private lastSteps: number | undefined
  private takenOff = false

  constructor(private readonly clockOffsetMinutes = 0) {}

  /** Readings as `UD` (live) or `UD2` (a buffered upload: `late`). */
  readings(bodies: readonly WatchReadingBody[], late: boolean): Translation {
    const out: Translation = { contents: [], skipped: [] }
    const cmd = late ? 'UD2' : 'UD'
    for (const r of bodies) {
      const positioned = r.lat !== undefined && r.lon !== undefined && r.src !== 'lbs'
      if (!positioned && r.bat === undefined && r.steps === undefined) {
        // Nothing a fix can carry. A heart rate alone is a health frame, but only live.
        if (r.hr !== undefined && !late) out.contents.push({ cmd: 'heart', content: `heart,${Math.round(r.hr)}`, answered: false })
        else out.skipped.push(r.hr !== undefined ? 'reading:hr-late' : 'reading:empty')
        continue
      }
      const fix = positioned ? { lat: r.lat as number, lon: r.lon as number } : undefined
      if (fix) this.lastFix = fix
      if (r.bat !== undefined) this.lastBat = r.bat
      if (r.steps !== undefined) this.lastSteps = r.steps
      if (r.worn !== undefined) this.takenOff = !r.worn
      out.contents.push({ cmd, content: `${cmd},${fixFields(r.ts, this.clockOffsetMinutes, fix, r.bat, r.steps, this.state())}`, answered: false })
    }
    return out
  }

  /**
   * Events as `AL` frames: alarms within the same second share one frame (one status word,
   * several bits), since the protocol's time has no finer grain.
   */
  events(bodies: readonly DeviceEventBody[]): Translation {
    const out: Translation = { contents: [], skipped: [] }
    let pending: { second: number; ts: number; status: number; bat: number | undefined } | undefined
    const emit = () => {
      if (!pending) return
      const content = `AL,${fixFields(pending.ts, this.clockOffsetMinutes, this.lastFix, pending.bat ?? this.lastBat, this.lastSteps, pending.status | this.state())}`
      out.contents.push({ cmd: 'AL', content, answered: true })
      pending = undefined
    }
    for (const e of bodies) {
      const second = Math.floor(e.ts / 1000)
      if (pending && pending.second !== second) emit()
      // Taking the watch off or putting it on changes the state every later frame reports.
      if (e.type === 'removed') this.takenOff = true
      if (e.type === 'worn') this.takenOff = false
      const bit = ALARM_BITS[e.type]
      if (bit === undefined) {
        out.skipped.push(`event:${e.type}`)
        continue
      }
      const bat = typeof e['bat'] === 'number' ? e['bat'] : undefined
      if (pending) {
        pending.status |= bit
        pending.bat ??= bat
      } else pending = { second, ts: e.ts, status: bit, bat }
    }
    emit()
    return out
  }

  /** The low 16 status bits: the watch's state, reported in every fix and alarm. */
  private state(): number {
    return this.takenOff ? TAKEN_OFF_BIT : 0
  }
}

const MESSAGE_PREFIX = 'MESSAGE,'

/**
 * The text of a voice prompt (`MESSAGE,<UTF-16BE hex>`): the inverse of the gateway's
 * voiceMessageContent. Undefined for any other CONTENT, or hex that is no UTF-16BE.
 */
export function voiceMessageText(content: Buffer): string | undefined {
  const text = content.toString('latin1')
  if (!text.startsWith(MESSAGE_PREFIX)) return undefined
  const hex = text.slice(MESSAGE_PREFIX.length)
  if (!/^(?:[0-9A-Fa-f]{4})*$/.test(hex)) return undefined
  return Buffer.from(hex, 'hex').swap16().toString('utf16le')
}
