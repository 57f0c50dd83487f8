import type { DeviceEventType } from '../../../contract/device-events'
import type { DeviceEventBody, WatchReadingBody } from '../../../contract/device-payloads'
import type { WatchAnswer } from './frame'

/**
 * What one watch-protocol CONTENT says (DESIGN §3b), translated into the MQTT contract (§3):
 * the readings and events below are exactly what an MQTT watch would publish on
 * `eg/v1/<id>/telemetry` and `eg/v1/<id>/event`, so the watch server JSON-stringifies them into
 * the existing intake and they meet the same validation, rules and storage.
 *
 * This is translation, not validation: ranges (hr 20–250, bat ≤ 100, ts not in the future) are
 * the intake's to judge, with its reasons and dead letters. Here a CONTENT is malformed only
 * when it cannot be translated at all (missing fields, a number that is not one, a date that
 * is no date, a position off the globe). Pure and total: no clock, no I/O, never throws.
 */

/** One reading as on `eg/v1/<id>/telemetry`; `worn` from the status word's device state (bit 3: taken off), when the watch sends all 8 digits. */
export type WatchReadingPayload = WatchReadingBody
/** One event as on `eg/v1/<id>/event`. */
export type DeviceEventPayload = DeviceEventBody

export interface DecodeContentOptions {
  /** Gateway time the frame arrived (epoch ms): the time of data that carries none. */
  receivedAt: number
  /** The registered device's clock is local time at this offset (DESIGN §3b); unset: UTC. */
  clockOffsetMinutes?: number
}

/** Data to feed to the intake: LK, UD, UD2, AL and the health readings. */
export interface ContentReadings {
  cmd: string
  answer?: WatchAnswer
  /** UD2: a fix the watch buffered while offline, uploaded late. */
  late?: true
  telemetry: WatchReadingPayload[]
  events: DeviceEventPayload[]
  echo?: undefined
  unknown?: undefined
  error?: undefined
}

/** The watch's echo of a voice prompt: the prompt was delivered. */
export interface ContentEcho {
  cmd: 'MESSAGE'
  echo: true
  answer?: undefined
  telemetry: []
  events: []
  unknown?: undefined
  error?: undefined
}

/** A command this gateway does not read (the server counts them); TKQ/TKQ2 still get answered. */
export interface ContentUnknown {
  cmd: string
  unknown: true
  answer?: WatchAnswer
  telemetry: []
  events: []
  echo?: undefined
  error?: undefined
}

/**
 * CONTENT that cannot be translated; `error` names the field ("lat \"abc\" is not decimal
 * degrees"), `cmd` says which command. A heartbeat is still answered: the link is alive.
 */
export interface ContentMalformed {
  cmd: string
  error: string
  answer?: WatchAnswer
  telemetry: []
  events: []
  echo?: undefined
  unknown?: undefined
}

export type DecodedContent = ContentReadings | ContentEcho | ContentUnknown | ContentMalformed

/** Command names are short ASCII words; anything else is binary or hostile, never a metric label. */
const COMMAND_NAME = /^[A-Za-z0-9_]{1,32}$/
const COMMA = 0x2c
const DECIMAL = /^-?\d+(?:\.\d+)?$/
const WHOLE = /^\d+$/
const STATUS = /^[0-9A-Fa-f]{1,8}$/
/** UD/UD2/AL: DDMMYY,HHMMSS,A|V,lat,N|S,lon,E|W,speed,course,alt,sats,gsm,battery,steps,rolls,status. */
const FIX_FIELDS = 16

/** AL `status` bits (DESIGN §3b) → contract events, in bit order; bits 21 and 22 are one fall. */
const ALARM_BITS: ReadonlyArray<readonly [mask: number, type: DeviceEventType]> = [
  [1 << 16, 'sos'],
  [1 << 17, 'low_battery'],
  [1 << 20, 'removed'],
  [(1 << 21) | (1 << 22), 'fall'],
]

export function decodeContent(content: Buffer, opts: DecodeContentOptions): DecodedContent {
  const comma = content.indexOf(COMMA)
  const nameEnd = comma === -1 ? content.length : comma
  const cmd = content.toString('latin1', 0, Math.min(nameEnd, 33))
  if (content.length === 0) return malformed('', 'empty CONTENT')
  if (!COMMAND_NAME.test(cmd)) return malformed('', 'command name is not 1–32 ASCII letters, digits or _')
  // Fields are decoded only here, for commands read as text: binary CONTENT (voice TK) never is.
  const fields = (): string[] => (comma === -1 ? [] : content.toString('utf8', comma + 1).split(','))
  switch (cmd) {
    case 'LK':
      return decodeHeartbeat(fields(), opts.receivedAt)
    case 'UD':
    case 'UD2':
    case 'AL':
      return decodeFix(cmd, fields(), opts)
    // Network-type variants of the same frames (Traccar reads them alike): an LTE watch that
    // sends only UD_LTE must not lose every position as "unknown".
    case 'UD_LTE':
    case 'UD_WCDMA':
    case 'UD3':
      return renamed(decodeFix('UD', fields(), opts), cmd)
    case 'AL_LTE':
    case 'AL_WCDMA':
      return renamed(decodeFix('AL', fields(), opts), cmd)
    case 'MESSAGE':
      return { cmd, echo: true, telemetry: [], events: [] }
    case 'TKQ':
    case 'TKQ2':
      // Voice-chat queries: Traccar answers them with the same command so the watch stops asking.
      return { cmd, unknown: true, answer: cmd, telemetry: [], events: [] }
  }
  // Makers differ in case for health commands (Traccar matches them ignoring case).
  const health = cmd.toLowerCase()
  if (health === 'heart' || health === 'bphrt' || health === 'oxygen' || health === 'btemp2') {
    return decodeHealth(cmd, health, fields(), opts.receivedAt)
  }
  return { cmd, unknown: true, telemetry: [], events: [] }
}

function renamed(decoded: DecodedContent, cmd: string): DecodedContent {
  decoded.cmd = cmd
  return decoded
}

function malformed(cmd: string, error: string, answer?: WatchAnswer): ContentMalformed {
  return answer === undefined ? { cmd, error, telemetry: [], events: [] } : { cmd, error, answer, telemetry: [], events: [] }
}

function readings(cmd: string, telemetry: WatchReadingPayload[], extra: { answer?: WatchAnswer; late?: true; events?: DeviceEventPayload[] } = {}): ContentReadings {
  const decoded: ContentReadings = { cmd, telemetry, events: extra.events ?? [] }
  if (extra.answer !== undefined) decoded.answer = extra.answer
  if (extra.late !== undefined) decoded.late = extra.late
  return decoded
}

/** A field quoted for an error message: bounded, since the watch chose it. */
function quote(field: string): string {
  return JSON.stringify(field.length > 24 ? `${field.slice(0, 24)}…` : field)
}

/**
 * An optional number field: empty or missing is absent (as `null` is in the MQTT contract);
 * present but not a number is an error string. Leading spaces occur in real frames (`N, 9.15`).
 */
function optionalNumber(field: string | undefined, name: string, pattern: RegExp): number | undefined | string {
  if (field === undefined) return undefined
  const text = field.trim()
  if (text === '') return undefined
  if (!pattern.test(text)) return `${name} ${quote(field)} is not a ${pattern === WHOLE ? 'whole number' : 'number'}`
  const value = Number(text)
  // 400 digits parse as Infinity, which JSON would turn into null: say so instead.
  return Number.isFinite(value) ? value : `${name} ${quote(field)} is out of range`
}

/** `LK` or `LK,steps,rolls,battery`: the heartbeat, answered whatever its fields say. */
function decodeHeartbeat(fields: string[], receivedAt: number): DecodedContent {
  const steps = optionalNumber(fields[0], 'steps', WHOLE)
  if (typeof steps === 'string') return malformed('LK', steps, 'LK')
  const bat = optionalNumber(fields[2], 'battery', DECIMAL)
  if (typeof bat === 'string') return malformed('LK', bat, 'LK')
  if (steps === undefined && bat === undefined) return readings('LK', [], { answer: 'LK' })
  const reading: WatchReadingPayload = { ts: receivedAt }
  if (steps !== undefined) reading.steps = steps
  if (bat !== undefined) reading.bat = bat
  return readings('LK', [reading], { answer: 'LK' })
}

/** UD, UD2 and AL share the fix fields; cell and wifi fields after `status` are ignored. */
function decodeFix(cmd: 'UD' | 'UD2' | 'AL', fields: string[], opts: DecodeContentOptions): DecodedContent {
  if (fields.length < FIX_FIELDS) {
    return malformed(cmd, `${fields.length} fields; a fix has at least ${FIX_FIELDS} (DDMMYY,HHMMSS,A|V,lat,N|S,lon,E|W,speed,course,alt,sats,gsm,battery,steps,rolls,status)`)
  }
  const f = fields as [string, string, string, string, string, string, string, ...string[]]
  let ts = watchTime(f[0], f[1], opts.clockOffsetMinutes ?? 0)
  if (cmd === 'AL' && !plausibleAlarmTime(ts, opts.receivedAt)) {
    // An alarm is sent as it happens (and resent until answered): a watch whose clock is not
    // set yet (000000, year 2000) or wrong must not turn an SOS into a dead letter or a reading
    // "too late" for the rules. Its arrival stands in for its time.
    ts = opts.receivedAt
  }
  if (Number.isNaN(ts)) return malformed(cmd, `date/time ${quote(`${f[0]},${f[1]}`)} is not a real DDMMYY,HHMMSS`)
  const reading: WatchReadingPayload = { ts }
  if (f[2] === 'A') {
    const lat = coordinate(f[3], f[4], 'N', 'S', 90, 'lat')
    const lon = coordinate(f[5], f[6], 'E', 'W', 180, 'lon')
    const broken = typeof lat === 'string' ? lat : typeof lon === 'string' ? lon : undefined
    // An alarm with a broken position is still an alarm: it goes on without the position.
    if (broken !== undefined && cmd !== 'AL') return malformed(cmd, broken)
    if (typeof lat === 'number' && typeof lon === 'number') {
      reading.lat = lat
      reading.lon = lon
      reading.src = 'gps'
    }
  } else if (f[2] !== 'V' && cmd !== 'AL') {
    // V: the watch has no fix; whatever stands in lat/lon (often 0.0 or a stale fix) is not a position.
    return malformed(cmd, `validity ${quote(f[2])} is neither A nor V`)
  }
  const bat = optionalNumber(f[12], 'battery', DECIMAL)
  if (typeof bat === 'string') return malformed(cmd, bat)
  const steps = optionalNumber(f[13], 'steps', WHOLE)
  if (typeof steps === 'string') return malformed(cmd, steps)
  if (bat !== undefined) reading.bat = bat
  if (steps !== undefined) reading.steps = steps
  const statusField = f[15] as string
  // The low 16 bits of an 8-digit status are the watch's state; bit 3 is "taken off the wrist"
  // (the 3G watch protocol's device state, as kidtracker-style servers read it). Without it,
  // nothing ever tells the rules the watch is back on after its AL "removed" alarm.
  if (/^[0-9A-Fa-f]{8}$/.test(statusField)) reading.worn = (Number.parseInt(statusField, 16) & TAKEN_OFF) === 0
  if (cmd === 'UD') return readings(cmd, [reading])
  if (cmd === 'UD2') return readings(cmd, [reading], { late: true })
  // Only AL is an alarm: UD/UD2 repeat the status bits of a past alarm for as long as they last.
  if (!STATUS.test(statusField)) return malformed(cmd, `status ${quote(statusField)} is not 1–8 hex digits`)
  const status = Number.parseInt(statusField, 16)
  const events: DeviceEventPayload[] = []
  for (const [mask, type] of ALARM_BITS) if ((status & mask) !== 0) events.push({ ts, type })
  return readings(cmd, [reading], { answer: 'AL', events })
}

/** Device-state bit of the status word: the watch is off the wrist. */
const TAKEN_OFF = 1 << 3

/** How far an alarm's own time may lie from its arrival: the lateness bound back, the future-skew bound ahead. */
const ALARM_PAST_MS = 6 * 3_600_000
const ALARM_FUTURE_MS = 10 * 60_000

function plausibleAlarmTime(ts: number, receivedAt: number): boolean {
  return !Number.isNaN(ts) && ts >= receivedAt - ALARM_PAST_MS && ts <= receivedAt + ALARM_FUTURE_MS
}

/**
 * Epoch ms of the watch's DDMMYY,HHMMSS. The watch's clock is UTC unless the device is
 * registered with an offset (DESIGN §3b): local time at +480 min is 8 h ahead of UTC.
 * NaN when the fields name no real instant.
 */
function watchTime(date: string, time: string, clockOffsetMinutes: number): number {
  if (!/^\d{6}$/.test(date) || !/^\d{6}$/.test(time)) return NaN
  const day = Number(date.slice(0, 2))
  const month = Number(date.slice(2, 4))
  const year = 2000 + Number(date.slice(4, 6))
  const hour = Number(time.slice(0, 2))
  const minute = Number(time.slice(2, 4))
  const second = Number(time.slice(4, 6))
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return NaN
  return Date.UTC(year, month - 1, day, hour, minute, second) - clockOffsetMinutes * 60_000
}

/**
 * Decimal degrees with a hemisphere letter. Real watches also sign the number itself
 * (`-33.48,N` in Chile, `-9.0,W` in Portugal, an empty E/W): south and west always mean
 * negative, otherwise the number's own sign stands.
 */
function coordinate(value: string, hemisphere: string, positive: string, negative: string, limit: number, name: string): number | string {
  const text = value.trim()
  if (!DECIMAL.test(text)) return `${name} ${quote(value)} is not decimal degrees`
  if (hemisphere !== positive && hemisphere !== negative && hemisphere !== '') {
    return `${name} hemisphere ${quote(hemisphere)} is neither ${positive} nor ${negative}`
  }
  const degrees = Number(text)
  if (!(Math.abs(degrees) <= limit)) return `${name} ${quote(text)} is beyond ±${limit}°`
  return hemisphere === negative ? -Math.abs(degrees) : degrees
}

/**
 * `heart,hr` · `bphrt,sys,dia,hr,…` · `oxygen,spo2` · `btemp2,mode,celsius`. Time of
 * measurement is not sent: it is the arrival. A 0 is the watch's "measured nothing" (off the
 * wrist), not a value, so it is left out, and a reading with nothing left is not sent.
 */
function decodeHealth(cmd: string, health: 'heart' | 'bphrt' | 'oxygen' | 'btemp2', fields: string[], receivedAt: number): DecodedContent {
  const reading: WatchReadingPayload = { ts: receivedAt }
  const put = (key: 'hr' | 'sys' | 'dia' | 'spo2' | 'temp', field: string | undefined, required: boolean): string | undefined => {
    const value = optionalNumber(field, key, DECIMAL)
    if (typeof value === 'string') return value
    if (value === undefined) return required ? `${key} missing` : undefined
    if (value !== 0) reading[key] = value
    return undefined
  }
  let problem: string | undefined
  if (health === 'heart') problem = put('hr', fields[0], true)
  else if (health === 'oxygen') problem = put('spo2', fields[0], true)
  else if (health === 'bphrt') problem = put('sys', fields[0], true) ?? put('dia', fields[1], true) ?? put('hr', fields[2], false)
  else {
    const mode = optionalNumber(fields[0], 'mode', WHOLE)
    if (typeof mode === 'string') problem = mode
    else if (mode === undefined) problem = 'mode missing'
    // Traccar reads a temperature only when mode > 0; mode 0 is the watch's "no measurement".
    else if (mode > 0) problem = put('temp', fields[1], true)
  }
  if (problem !== undefined) return malformed(cmd, problem)
  return readings(cmd, Object.keys(reading).length > 1 ? [reading] : [])
}
