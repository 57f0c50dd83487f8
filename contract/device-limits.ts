/**
 * Bounds of the device contract (DESIGN §3) that devices and the gateway must agree on: an upload
 * above them is refused whole, so device makers (and the simulators) split uploads to fit.
 */

/**
 * Elements per array upload. A watch buffering one reading a minute for three days offline
 * uploads ~4300 readings; 5000 covers that while bounding the work one message can cause.
 */
export const MAX_BATCH = 5000

/**
 * An event's extra fields are evidence (a vendor's alarm code, a fix, a note): real ones are a
 * few levels and a few hundred bytes. 8 levels and 8 KiB leave vendors room while keeping what
 * is stored, serialised and quoted in alerts small and flat.
 */
export const DETAIL_MAX_DEPTH = 8
export const DETAIL_MAX_BYTES = 8 * 1024

/**
 * Earliest event time accepted. Devices without a time fix report 1970 or their firmware build
 * date; eldercare devices of this generation did not exist before 2015, so anything earlier
 * is a clock that was never set.
 */
export const MIN_TS = Date.UTC(2015, 0, 1)
