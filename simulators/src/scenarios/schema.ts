import { z } from 'zod'
import { RULE_IDS } from '../../../rules/src/index'
import { watchEventTypes } from '../../../contract/device-events'
import { riskLevels } from '../../../contract/levels'

/**
 * The scenario file format (simulators/scenarios/<set>/*.json): one planted pattern — or one
 * benign look-alike — on one elder, with its written ground truth. Plain JSON so a new
 * scenario needs no code. Days are numbered from 1 (the run's first local day); times are
 * local "HH:MM". Place references are resolved per elder (see places.ts).
 */

const ACTIVITY_KINDS = ['sleep', 'home', 'travel', 'shopping', 'exercise', 'clinic', 'banking', 'visit', 'lecture', 'investment', 'tour', 'errand'] as const
const WATCH_STATES = ['worn', 'charging', 'off_wrist'] as const

/** "HH:MM", 00:00–23:59 local time. */
export const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time "HH:MM" (00:00–23:59)')

/** ISO-8601 duration, days/hours/minutes only (P1D, PT6H, P2DT12H): enough for detection windows. */
export const isoDuration = z.string().regex(/^P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?)?$/, 'an ISO-8601 duration such as P1D, PT6H or P2DT12H')

const day = z.number().int().min(1).max(60)
/** A moment in the run: local day number and time. */
export const moment = z.object({ day, time: clockTime }).strict()

export const ruleId = z.enum(RULE_IDS as unknown as [string, ...string[]], { error: `one of ${RULE_IDS.join(', ')}` })
const placeRef = z.string().min(1)

/** A step of a day plan: PlanBuilder's calls as data. */
export const planStep = z.discriminatedUnion('do', [
  z.object({ do: z.literal('stay'), until: clockTime, kind: z.enum(ACTIVITY_KINDS).optional(), watch: z.enum(WATCH_STATES).optional() }).strict(),
  z.object({
    do: z.literal('go'), to: placeRef, kind: z.enum(ACTIVITY_KINDS), minutes: z.number().min(0).max(24 * 60),
    at: clockTime.optional(), watch: z.enum(WATCH_STATES).optional(),
  }).strict(),
  z.object({ do: z.literal('home') }).strict(),
  z.object({ do: z.literal('finish'), kind: z.enum(ACTIVITY_KINDS).optional(), from: clockTime.optional(), watch: z.enum(WATCH_STATES).optional() }).strict(),
], { error: 'a step with do: "stay" | "go" | "home" | "finish"' })
export type PlanStep = z.infer<typeof planStep>

export const dayOverride = z.object({
  days: z.array(day).min(1),
  /** Omitted: the elder's own routine that day, with the visitors and events below added. */
  plan: z.array(planStep).min(1).optional(),
  visitors: z.array(z.object({ from: clockTime, to: clockTime, persons: z.number().int().min(1).max(20), strangers: z.number().int().min(0).max(20), note: z.string().optional() }).strict()
    .refine((v) => v.to > v.from, { path: ['to'], message: 'must be after from' })
    .refine((v) => v.strangers <= v.persons, { path: ['strangers'], message: 'must not exceed persons' })).optional(),
  events: z.array(z.object({ at: clockTime, type: z.enum(watchEventTypes), detail: z.record(z.string(), z.unknown()).optional() }).strict()).optional(),
}).strict()
export type DayOverride = z.infer<typeof dayOverride>

/** A place of the scenario's own (a tour resort, a tea house next to the hall), relative to a known place. */
export const scenarioPlace = z.object({
  from: placeRef,
  distanceM: z.number().min(0).max(2_000_000),
  bearingDeg: z.number().min(0).max(360).default(90),
  radiusM: z.number().min(10).max(5000).default(80),
  indoor: z.boolean().default(true),
  name: z.string().optional(),
}).strict()

/** A span of the run, day/time to day/time (a planned absence, a dead link). */
const span = z.object({ from: moment, to: moment, note: z.string().optional() }).strict()
  .refine((w) => w.to.day * 1440 + clockMinutes(w.to.time) > w.from.day * 1440 + clockMinutes(w.from.time), { path: ['to'], message: 'must be after from' })

/**
 * How the elder's watch delivers (omitted: a fix every 1–10 min by activity, sent live over a
 * link that drops now and then). Real 4G watches in power-saving mode record a fix on a timer
 * and connect only to upload their buffer: the gateway gets batches of old fixes, and must
 * not read the time between them as silence.
 */
export const watchHabit = z.object({
  /** One fix every N minutes whatever the elder does (power saving). */
  fixEveryMin: z.number().int().min(1).max(60).optional(),
  /** The link is down between uploads: every N minutes the watch connects, uploads its buffer as arrays, disconnects. */
  uploadEveryMin: z.number().int().min(1).max(120).optional(),
  /** Every upload reaches the gateway [min, max] minutes after it was made (a backlog that drifts slowly). */
  lateMin: z.tuple([z.number().int().min(0).max(360), z.number().int().min(0).max(360)]).optional(),
  /** Spans in which the link is dead (no network): the watch keeps recording and flushes when it returns. */
  deadLink: z.array(span).optional(),
}).strict()
  .refine((w) => !w.lateMin || w.lateMin[0] <= w.lateMin[1], { path: ['lateMin'], message: '[min, max] with min ≤ max' })
  .refine((w) => !w.lateMin || w.uploadEveryMin !== undefined, { path: ['lateMin'], message: 'late uploads need uploadEveryMin (what is late is an upload)' })
export type WatchHabitSpec = z.infer<typeof watchHabit>

export const expectation = z.object({
  rule: ruleId,
  minLevel: z.enum(riskLevels),
  /** The planted moment: when the pattern is planted (the first lecture, the SOS press). */
  at: moment,
  /** The alert must open no later than `at` + within. */
  within: isoDuration,
}).strict()
export type Expectation = z.infer<typeof expectation>

export const scenarioFile = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case words joined by dashes'),
  title: z.string().min(1),
  /** scam: a planted pattern the rules must find; benign: a look-alike they must leave alone. */
  kind: z.enum(['scam', 'benign']),
  description: z.string().optional(),
  elder: z.object({
    archetype: z.string().min(1),
    /** Moves the elder's home (living next door to a lecture hall). */
    home: z.object({ near: placeRef, distanceM: z.number().min(0).max(50_000), bearingDeg: z.number().min(0).max(360).default(90) }).strict().optional(),
    watch: watchHabit.optional(),
  }).strict(),
  places: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lower-case name'), scenarioPlace).default({}),
  days: z.array(dayOverride).default([]),
  /** Planned absences registered beforehand (PATCH /api/v1/elders/:id expectedAway). */
  expectedAway: z.array(span).default([]),
  expect: z.array(expectation).default([]),
  /** Rules that must not alert on this elder; "*" = every rule not expected and not in `allow`. */
  mustNot: z.array(z.union([ruleId, z.literal('*')])).default([]),
  /** With "*": rules that may alert (a dead watch may raise device.offline). */
  allow: z.array(ruleId).default([]),
}).strict()
  .refine((s) => s.kind === 'benign' || s.expect.length > 0, { path: ['expect'], message: 'a scam scenario must expect at least one rule' })
  .refine((s) => s.kind === 'scam' || s.expect.length === 0, { path: ['expect'], message: 'a benign scenario expects nothing (use mustNot)' })
export type ScenarioFile = z.infer<typeof scenarioFile>

const profileKeys = ['marketDays', 'parkDays', 'clinicDays', 'bankDays', 'visitDays', 'forgetsCharging'] as const
export const archetype = z.object({
  description: z.string(),
  age: z.tuple([z.number().int().min(60).max(110), z.number().int().min(60).max(110)]).optional(),
  /** Chances per day, as in ElderProfile. */
  profile: z.partialRecord(z.enum(profileKeys), z.number().min(0).max(1)).default({}),
  /** Whether the elder has a child's home in town to visit (planned weekends need one). */
  childInTown: z.boolean().optional(),
}).strict()
export const archetypeFile = z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case words joined by dashes'), archetype)
export type Archetype = z.infer<typeof archetype>

/** Milliseconds of an ISO duration accepted by `isoDuration`. */
export function durationMs(iso: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(iso)
  if (!m) throw new Error(`not a duration: ${iso}`)
  return (Number(m[1] ?? 0) * 24 * 60 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 60_000
}

/** Minutes after local midnight of "HH:MM". */
export function clockMinutes(time: string): number {
  const [h, m] = time.split(':').map(Number)
  return (h ?? 0) * 60 + (m ?? 0)
}
