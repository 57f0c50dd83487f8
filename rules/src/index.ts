/**
 * The rule engine's public API (DESIGN §2: pure, deterministic, event-time). The gateway and
 * the backtester call exactly this.
 */
export * from './input'
export type { RiskLevel, RuleId, VenueKind, Venue, ElderProfile, Finding } from './types'
export { RULE_IDS, levelRank } from './types'
export { ruleConfigSchema, defaultRuleConfig, parseRuleConfig } from './config'
export type { RuleConfig, RuleConfigInput } from './config'
export { buildVenueIndex } from './venue-index'
export type { VenueIndex } from './venue-index'
export type { EngineContext, EngineStep } from './engine'
export { ingest, advance, advanceElders, compareInputs } from './engine'
export type { EngineState, ElderSlot, ElderState } from './state'
export { initialEngineState, elderIdsOf } from './state'
export { checkpointSlot } from './window'
export { formatterFor } from './local-time'
