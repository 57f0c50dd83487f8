import type { Queryable } from '../storage/db'
import type { Page, PageRequest } from './types'

/** Shared SQL building blocks for the registry stores. */

/**
 * `col = $n, ...` for the defined keys of a patch. Column names come only from the fixed map
 * the store passes (never from the request); values are appended to `params`. Keys whose
 * value is undefined are left alone; null clears the column.
 */
export function setClause<P extends object>(columns: { [K in keyof P]-?: string }, patch: P, params: unknown[], jsonKeys: ReadonlyArray<keyof P> = []): string[] {
  const sets: string[] = []
  for (const key of Object.keys(columns) as Array<keyof P>) {
    const value = patch[key]
    if (value === undefined) continue
    const isJson = jsonKeys.includes(key) && value !== null
    params.push(isJson ? JSON.stringify(value) : value)
    sets.push(`${columns[key]} = $${params.length}${isJson ? '::jsonb' : ''}`)
  }
  return sets
}

/**
 * One page plus the total. `where` uses $1..$n of `params`; LIMIT/OFFSET are appended. Two
 * queries rather than count(*) OVER () because the window count is lost when the page is empty.
 */
export async function pageOf<Row extends object, T>(
  q: Queryable,
  sql: { select: string; from: string; where: string; orderBy: string },
  params: readonly unknown[],
  page: PageRequest,
  map: (row: Row) => T,
): Promise<Page<T>> {
  const n = params.length
  const [rows, count] = await Promise.all([
    q.query<Row>(`SELECT ${sql.select} FROM ${sql.from} WHERE ${sql.where} ORDER BY ${sql.orderBy} LIMIT $${n + 1} OFFSET $${n + 2}`, [
      ...params,
      page.limit,
      page.offset,
    ]),
    q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql.from} WHERE ${sql.where}`, params),
  ])
  return { items: rows.map(map), total: count[0]?.n ?? 0, limit: page.limit, offset: page.offset }
}

/** Escapes LIKE wildcards so a search for "50%" matches literally. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}
