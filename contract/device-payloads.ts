import { z } from 'zod'
import { commandAckStatuses, deviceEventTypes, locationSources } from './device-events'

/**
 * Payload schemas of DESIGN §3: the gateway validates with them, and the message types of the
 * simulators and protocol adapters are derived from them. Built once at module load (hot path:
 * no schema is built per message). `ts` is not here: it is decoded by hand (timestamp.ts) because it has reasons of
 * its own (bad_ts, future_ts). z.object strips unknown keys: the contract says they are ignored.
 *
 * Optional fields are `.nullish()`: many device serialisers write `null` for an unset field
 * (`"lat": null` indoors without a fix); rejecting the whole reading for that would also lose
 * its heart rate and battery, so null means absent.
 */

export const watchReadingSchema = z.object({
  lat: z.number().min(-90).max(90).nullish(),
  lon: z.number().min(-180).max(180).nullish(),
  /** Metres; 50 km bounds the coarsest cell-tower (lbs) fix. */
  acc: z.number().min(0).max(50_000).nullish(),
  src: z.enum(locationSources).nullish(),
  /** bpm; 0 from an unworn watch is removed before parsing (the gateway's ingest/records.ts). */
  hr: z.number().min(20).max(250).nullish(),
  steps: z.number().int().min(0).nullish(),
  bat: z.number().min(0).max(100).nullish(),
  worn: z.boolean().nullish(),
  // Health readings of 4G watches (DESIGN §3). The bounds hold every value a wrist sensor can
  // plausibly measure on a living wearer, so one outside them is taken for a sensor or encoding
  // fault and rejected like an hr of 400. 0 ("not measured") is removed before parsing, as for hr.
  /** Blood oxygen saturation, percent; watches report whole percents. */
  spo2: z.number().int().min(50).max(100).nullish(),
  /** Blood pressure, mmHg; dia < sys spans two fields, so the gateway's ingest/records.ts checks it. */
  sys: z.number().int().min(50).max(260).nullish(),
  dia: z.number().int().min(30).max(200).nullish(),
  /** Body temperature, °C; one decimal is typical, more is accepted (stored as float4). */
  temp: z.number().min(30).max(45).nullish(),
})

/** 50 people in one home's view is already far beyond any real scene: larger is a broken counter. */
const headCount = z.number().int().min(0).max(50)

export const cameraReadingSchema = z.object({
  presence: z.boolean().nullish(),
  persons: headCount.nullish(),
  strangers: headCount.nullish(),
  motion: z.boolean().nullish(),
})

export const deviceEventSchema = z.object({
  type: z.enum(deviceEventTypes),
})

export const commandAckSchema = z.object({
  /** Command ids are issued by the gateway; 128 bounds what a device can make us store. */
  id: z.string().min(1).max(128),
  status: z.enum(commandAckStatuses),
})

type Present<T> = { [K in keyof T]?: NonNullable<T[K]> }

/** A watch reading as a device sends it on `telemetry` (ts: epoch ms here; ISO-8601 is accepted too). */
export type WatchReadingBody = { ts: number } & Present<z.infer<typeof watchReadingSchema>>
/** A camera reading as a device sends it on `telemetry`. */
export type CameraReadingBody = { ts: number } & Present<z.infer<typeof cameraReadingSchema>>
/** An event as a device sends it on `event`: its extra fields are kept as evidence. */
export interface DeviceEventBody {
  ts: number
  type: z.infer<typeof deviceEventSchema>['type']
  [detail: string]: unknown
}
/** A command acknowledgement as a device sends it on `cmd/ack`. */
export type CommandAckBody = { ts: number } & z.infer<typeof commandAckSchema>
