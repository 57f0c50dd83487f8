/**
 * One-dimensional float8[] / float4[] values in PostgreSQL's binary array format (what
 * `array_recv` reads), sent as Buffer parameters: the pg driver binds a Buffer in binary format.
 *
 * Why (issue 11 item 7, durable ingest throughput): turning a double into its shortest decimal
 * text is the dearest thing the writer does per reading — four per reading (time, lat, lon, acc),
 * a quarter of the batch's literal building in the gateway's CPU profile — and the database then
 * parses each back with strtod. In binary both sides copy eight bytes. Text columns stay text
 * literals (telemetry-sql.ts): their bytes are the same either way.
 *
 * Layout: int32 ndim (1), int32 has-nulls flag, int32 element type OID, int32 length, int32 lower
 * bound (1); then per element int32 byte length (-1 for NULL) and the value, big-endian.
 */
const HEADER = 20
const FLOAT4_OID = 700
const FLOAT8_OID = 701

export type FloatArrayType = 'float4' | 'float8'

/**
 * `values(i)` for i in [0, n): the column's value of row i, undefined or null for NULL. Only for
 * n ≥ 1 (an empty array has no dimension in this format; the writer never sends one).
 */
export function binaryFloatArray(type: FloatArrayType, n: number, values: (i: number) => number | undefined | null): Buffer {
  const width = type === 'float8' ? 8 : 4
  const buf = Buffer.allocUnsafe(HEADER + n * (4 + width))
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  view.setInt32(0, 1)
  view.setInt32(8, type === 'float8' ? FLOAT8_OID : FLOAT4_OID)
  view.setInt32(12, n)
  view.setInt32(16, 1)
  let nulls = 0
  let p = HEADER
  for (let i = 0; i < n; i++) {
    const v = values(i)
    if (v == null) {
      view.setInt32(p, -1)
      p += 4
      nulls = 1
      continue
    }
    view.setInt32(p, width)
    if (width === 8) view.setFloat64(p + 4, v)
    else view.setFloat32(p + 4, v)
    p += 4 + width
  }
  view.setInt32(4, nulls)
  return p === buf.length ? buf : buf.subarray(0, p)
}
