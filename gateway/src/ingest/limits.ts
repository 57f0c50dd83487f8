import type { Config } from '../config'
import type { DecodeLimits } from './types'
import { DETAIL_MAX_BYTES, DETAIL_MAX_DEPTH, MAX_BATCH } from '../../../contract/device-limits'

export { MIN_TS } from '../../../contract/device-limits'

/**
 * Defaults mirror the configuration defaults (EG_PAYLOAD_MAX_BYTES, EG_MAX_FUTURE_SKEW_MS).
 * maxBatch, and the bounds of an event's extra fields, are the contract's (contract/device-limits.ts).
 */
export const defaultDecodeLimits: Readonly<DecodeLimits> = Object.freeze({
  maxPayloadBytes: 512 * 1024,
  maxFutureSkewMs: 10 * 60_000,
  maxBatch: MAX_BATCH,
  maxDetailDepth: DETAIL_MAX_DEPTH,
  maxDetailBytes: DETAIL_MAX_BYTES,
})

/** Limits are decided once at start from configuration, not per message (DESIGN §6, pino model). */
export function decodeLimitsFromConfig(
  config: Pick<Config, 'EG_PAYLOAD_MAX_BYTES' | 'EG_MAX_FUTURE_SKEW_MS'>,
  maxBatch: number = defaultDecodeLimits.maxBatch,
): DecodeLimits {
  return {
    maxPayloadBytes: config.EG_PAYLOAD_MAX_BYTES,
    maxFutureSkewMs: config.EG_MAX_FUTURE_SKEW_MS,
    maxBatch,
    maxDetailDepth: DETAIL_MAX_DEPTH,
    maxDetailBytes: DETAIL_MAX_BYTES,
  }
}
