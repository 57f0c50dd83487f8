import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminUrl } from '../../../test/support/databases'
import { binaryFloatArray } from '../../src/storage/binary-array'

/**
 * The writer's float columns travel as binary arrays (binary-array.ts): read back by a real
 * PostgreSQL server, which parses them with array_recv and checks the element type.
 */
describe('binary float arrays on PostgreSQL', () => {
  let client: pg.Client
  beforeAll(async () => {
    client = new pg.Client({ connectionString: adminUrl })
    await client.connect()
  })
  afterAll(() => client.end())

  async function roundTrip(type: 'float8' | 'float4', values: Array<number | undefined | null>): Promise<Array<number | null>> {
    const param = binaryFloatArray(type, values.length, (i) => values[i])
    // As text, so what the server holds is read back digit for digit (shortest exact form).
    const { rows } = await client.query<{ v: string | null }>(`SELECT v::text AS v FROM unnest($1::${type}[]) AS v`, [param])
    return rows.map((r) => (r.v === null ? null : Number(r.v)))
  }

  it('carries float8 values exactly, NULLs in place', async () => {
    const values = [1764770000123, 31.230093333333333, -121.4737, 0, -0, 5e-324, 1.7976931348623157e308, undefined, 12.5, null]
    expect(await roundTrip('float8', values)).toEqual([1764770000123, 31.230093333333333, -121.4737, 0, -0, 5e-324, 1.7976931348623157e308, null, 12.5, null])
  })

  it('carries float4 values as the server would have parsed their text', async () => {
    const values = [36.6, 12, 49999.5, null, 0.1]
    const { rows } = await client.query<{ v: string | null }>('SELECT v::text AS v FROM unnest($1::float4[]) AS v', ['{36.6,12,49999.5,NULL,0.1}'])
    expect(await roundTrip('float4', values)).toEqual(rows.map((r) => (r.v === null ? null : Number(r.v))))
  })

  it('is a one-element array without NULLs as well', async () => {
    expect(await roundTrip('float8', [42.25])).toEqual([42.25])
  })

  it('is refused for a column of the other float type, so a mismatch cannot store wrong values', async () => {
    const param = binaryFloatArray('float4', 1, () => 1.5)
    await expect(client.query('SELECT $1::float8[] AS v', [param])).rejects.toThrow(/array element type 700 \(real\) instead of expected 701/)
  })
})
