/**
 * The readings of bench:watch, one definition for both transports: reading n of a device is a
 * `UD` frame on the watch port and, byte for byte, the telemetry payload the watch port hands
 * the intake for that frame when it goes over MQTT instead. So the comparison is the same data
 * through two doors, not two different workloads. watch.ts checks the equality against the
 * gateway's own decoder before it measures anything.
 */
import { fixContent, frame } from '../../test/support/watch-client'

export interface BenchDevice {
  /** The device id (MQTT clientId and username). */
  id: string
  /** MQTT devices only; a watch-protocol device has none (DESIGN §3b). */
  secret?: string
  /** Watch-protocol devices only: the number the watch names itself by. */
  imei?: string
  home: { lat: number; lon: number }
}

/**
 * Event time between two readings of one device. A watch's clock (DDMMYY,HHMMSS) has whole
 * seconds and the gateway keeps one reading per (device, time), so readings one second apart
 * are the densest a watch can send without its own readings colliding.
 */
export const STEP_MS = 1000

/** Event time, position, battery and steps of reading n (positions stay at home: no rule fires). */
function fields(home: BenchDevice['home'], n: number, startTs: number) {
  // A few metres of GPS wander, so rows are not identical; rounded as the frame writes them.
  const jitter = (n % 7) * 2e-5
  return {
    ts: startTs + n * STEP_MS,
    lat: Number((home.lat + jitter).toFixed(6)),
    lon: Number((home.lon - jitter).toFixed(6)),
    bat: 80,
    steps: 1000 + n,
  }
}

/** The CONTENT of reading n as a watch sends it: a valid GPS fix. */
export function udContent(home: BenchDevice['home'], n: number, startTs: number): string {
  const r = fields(home, n, startTs)
  return fixContent('UD', r.ts, { lat: r.lat, lon: r.lon, battery: r.bat, steps: r.steps })
}

/** Reading n as a complete watch frame. */
export function udFrame(imei: string, home: BenchDevice['home'], n: number, startTs: number): Buffer {
  return frame(imei, udContent(home, n, startTs))
}

/** Reading n as an MQTT telemetry payload: what the watch port makes of udContent (same keys, same order). */
export function mqttPayload(home: BenchDevice['home'], n: number, startTs: number): string {
  const r = fields(home, n, startTs)
  // worn: the UD's 8-digit status (all clear) says the watch is on the wrist; MQTT says it too.
  return JSON.stringify({ ts: r.ts, lat: r.lat, lon: r.lon, src: 'gps', bat: r.bat, steps: r.steps, worn: true })
}
