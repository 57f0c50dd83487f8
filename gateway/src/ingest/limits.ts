import type { Config } from '../config'
import type { DecodeLimits } from './types'

/**
 * Earliest event time accepted. Devices without a time fix report 1970 or their firmware build
 * date; eldercare devices of this generation did not exist before 2015, so anything earlier
 * is a clock that was never set.
 */
export const MIN_TS = Date.UTC(2015, 0, 1)

/**
 * An event's extra fields are evidence (a vendor's alarm code, a fix, a note): real ones are a
 * few levels and a few hundred bytes. 8 levels and 8 KiB leave vendors room while keeping what
 * is stored, serialised and quoted in alerts small and flat.
 */
export const DETAIL_MAX_DEPTH = 8
export const DETAIL_MAX_BYTES = 8 * 1024

/**
 * Defaults mirror the configuration defaults (EG_PAYLOAD_MAX_BYTES, EG_MAX_FUTURE_SKEW_MS).
 * maxBatch: a watch buffering one reading a minute for three days offline uploads ~4300
 * readings; 5000 covers that while bounding the work one message can cause.
 */
export const defaultDecodeLimits: Readonly<DecodeLimits> = Object.freeze({
  maxPayloadBytes: 512 * 1024,
  maxFutureSkewMs: 10 * 60_000,
  maxBatch: 5000,
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
