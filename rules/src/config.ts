/**
 * Rule configuration (DESIGN §5: "every number is per-tenant configuration"). Parsed once when
 * the tenant's configuration is loaded, never per message (DESIGN §6, the pino model).
 * Missing fields take the DESIGN §5 defaults, so `{}` is a valid configuration.
 */
import { z } from 'zod'
import { riskLevels } from '../../contract/levels'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

const ms = z.number().int().nonnegative()
const positiveMs = z.number().int().positive()
const count = z.number().int().positive()
const enabled = z.boolean().default(true)

const locationSchema = z.object({
  /** DESIGN §5 location quality: fixes less accurate than this never start a visit. */
  maxAccuracyM: z.number().positive().default(150),
  /** Away needs the fix's accuracy circle to lie this far beyond the home radius. */
  awayMarginM: z.number().nonnegative().default(100),
  /** Consecutive away fixes needed to leave home: one GPS outlier must not start an absence. */
  awayConfirmFixes: count.default(2),
  /** A coarse (lbs or inaccurate) fix flips home→away only when at least this far out. */
  coarseAwayKm: z.number().positive().default(5),
  /** Accuracy assumed when a fix carries none: gps/wifi, and lbs (cell towers). */
  defaultAccuracyM: z.number().positive().default(30),
  defaultLbsAccuracyM: z.number().positive().default(1000),
})

const venueSchema = z.object({
  /** A visit ends only once the elder is beyond the geofence plus this margin ... */
  exitMarginM: z.number().nonnegative().default(50),
  /** ... for this long (DESIGN §5: GPS jitter at the edge makes one visit, not many). */
  exitGraceMs: ms.default(10 * MIN),
})

const rulesSchema = z.object({
  'venue.repeat': z.object({
    enabled,
    minDwellMs: ms.default(20 * MIN),
    windowMs: positiveMs.default(7 * DAY),
    yellowVisits: count.default(2),
    orangeVisits: count.default(3),
    redVisits: count.default(5),
    redConsecutiveDays: count.default(3),
  }).prefault({}),
  'absence.long': z.object({
    enabled,
    minMs: positiveMs.default(12 * HOUR),
    baselineFactor: z.number().positive().default(2),
    baselinePercentile: z.number().gt(0).lte(1).default(0.95),
    baselineWindowMs: positiveMs.default(28 * DAY),
  }).prefault({}),
  'absence.overnight': z.object({
    enabled,
    fromHour: z.number().int().min(0).max(23).default(0),
    toHour: z.number().int().min(1).max(24).default(5),
  }).prefault({}),
  'absence.trip': z.object({
    enabled,
    minMs: positiveMs.default(36 * HOUR),
    farKm: z.number().positive().default(50),
    farMs: positiveMs.default(6 * HOUR),
  }).prefault({}),
  'home.strangers': z.object({
    enabled,
    windowDays: count.default(7),
    yellowDays: count.default(3),
    orangeDays: count.default(5),
  }).prefault({}),
  'device.removed': z.object({
    enabled,
    silenceMs: positiveMs.default(30 * MIN),
    /**
     * A watch taken off counts only if the elder is still away this long after (or after the
     * absence began): elders take the watch off as they come through the door, and the fix
     * that shows them home can arrive a moment after the removal.
     */
    removedGraceMs: ms.default(10 * MIN),
  }).prefault({}),
  'money.bank_after_venue': z.object({
    enabled,
    windowMs: positiveMs.default(48 * HOUR),
    minRiskyVisits: count.default(2),
    /** A bank errand is short; 5 min still rules out walking past the door. */
    bankMinDwellMs: ms.default(5 * MIN),
  }).prefault({}),
  'safety.sos': z.object({ enabled }).prefault({}),
  'safety.fall': z.object({ enabled }).prefault({}),
  'venue.candidate': z.object({
    enabled,
    minElders: count.default(5),
    minDwellMs: ms.default(30 * MIN),
    radiusM: z.number().positive().default(150),
    /** A stay: fixes within this distance of their running centre. */
    stayRadiusM: z.number().positive().default(100),
    minDays: count.default(2),
    windowDays: count.default(14),
    level: z.enum(riskLevels).default('yellow'),
  }).prefault({}),
  'device.battery': z.object({
    enabled,
    lowPercent: z.number().min(0).max(100).default(15),
    /** A new low-battery episode starts only after a charge above this. */
    resetPercent: z.number().min(0).max(100).default(20),
  }).prefault({}),
  'device.offline': z.object({
    enabled,
    silenceMs: positiveMs.default(2 * HOUR),
  }).prefault({}),
})

type Issue = { path: Array<string | number>; message: string }

/** Meaning checks that single-field types cannot express. */
function checkMeaning(c: z.output<typeof baseSchema>): Issue[] {
  const issues: Issue[] = []
  const r = c.rules
  const vr = r['venue.repeat']
  if (vr.yellowVisits >= vr.orangeVisits) {
    issues.push({ path: ['rules', 'venue.repeat', 'yellowVisits'], message: `rules.venue.repeat.yellowVisits (${vr.yellowVisits}) must be below rules.venue.repeat.orangeVisits (${vr.orangeVisits})` })
  }
  if (vr.orangeVisits > vr.redVisits) {
    issues.push({ path: ['rules', 'venue.repeat', 'orangeVisits'], message: `rules.venue.repeat.orangeVisits (${vr.orangeVisits}) must not be above rules.venue.repeat.redVisits (${vr.redVisits})` })
  }
  const hs = r['home.strangers']
  if (hs.yellowDays >= hs.orangeDays) {
    issues.push({ path: ['rules', 'home.strangers', 'yellowDays'], message: `rules.home.strangers.yellowDays (${hs.yellowDays}) must be below rules.home.strangers.orangeDays (${hs.orangeDays})` })
  }
  if (hs.orangeDays > hs.windowDays) {
    issues.push({ path: ['rules', 'home.strangers', 'orangeDays'], message: `rules.home.strangers.orangeDays (${hs.orangeDays}) cannot exceed rules.home.strangers.windowDays (${hs.windowDays})` })
  }
  const on = r['absence.overnight']
  if (on.fromHour >= on.toHour) {
    issues.push({ path: ['rules', 'absence.overnight', 'fromHour'], message: `rules.absence.overnight.fromHour (${on.fromHour}) must be below rules.absence.overnight.toHour (${on.toHour})` })
  }
  const bat = r['device.battery']
  if (bat.resetPercent < bat.lowPercent) {
    issues.push({ path: ['rules', 'device.battery', 'resetPercent'], message: `rules.device.battery.resetPercent (${bat.resetPercent}) must not be below rules.device.battery.lowPercent (${bat.lowPercent})` })
  }
  const cand = r['venue.candidate']
  if (cand.minDays > cand.windowDays) {
    issues.push({ path: ['rules', 'venue.candidate', 'minDays'], message: `rules.venue.candidate.minDays (${cand.minDays}) cannot exceed rules.venue.candidate.windowDays (${cand.windowDays})` })
  }
  return issues
}

const baseSchema = z.object({
  /** DESIGN §5 lateness bound: older inputs are counted, not evaluated. */
  latenessMs: ms.default(6 * HOUR),
  /** How long emitted dedup keys are remembered; longer than any rule window plus lateness. */
  dedupRetentionMs: positiveMs.default(30 * DAY),
  /**
   * Time-based conditions (absence length, overnight, trip, a removal's grace) are judged on the
   * rule clock once the elder's data covers their time, or once the elder's recent delivery lag
   * has passed, at most this long: a watch in power saving that uploads its buffered fixes every
   * half hour must not be judged on the state it had before its last upload (DESIGN §5: buffered
   * data gives the in-order findings). A device that delivers live is judged at once. The
   * default, the lateness bound, keeps that promise for any lag the bound admits.
   */
  settleMs: ms.default(6 * HOUR),
  location: locationSchema.prefault({}),
  venue: venueSchema.prefault({}),
  rules: rulesSchema.prefault({}),
})

export const ruleConfigSchema = baseSchema.superRefine((config, ctx) => {
  for (const issue of checkMeaning(config)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message })
})

export type RuleConfig = z.output<typeof ruleConfigSchema>
export type RuleConfigInput = z.input<typeof ruleConfigSchema>

export const defaultRuleConfig: RuleConfig = ruleConfigSchema.parse({})

export function parseRuleConfig(raw: unknown): { ok: true; config: RuleConfig } | { ok: false; errors: Array<{ path: string; message: string }> } {
  const result = ruleConfigSchema.safeParse(raw ?? {})
  if (result.success) return { ok: true, config: result.data }
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  }
}
