/**
 * A write planned inside a transaction and run later as a data-modifying CTE of one shared
 * statement (the alert transaction's last, change-log-store.ts appendChanges). Every round trip
 * of an alert's transaction is latency between an SOS and its voice prompt (bench:latency), and
 * rows that nothing in the transaction reads back need not be written on their own: the voice
 * prompts and the notices of an alert go with its change-log entries, one statement for all.
 */
export interface DeferredWrite {
  /** The statement, its parameters written as `param(i)` (i from 1, in `params` order). */
  sql(param: (i: number) => string): string
  params: readonly unknown[]
}

/**
 * The writes as CTEs `w0 AS (...)`, `w1 AS (...)` whose parameters follow the statement's first
 * `before` ones, and all their parameters in order. Unreferenced data-modifying CTEs still run,
 * exactly once, within the statement (PostgreSQL: WITH queries that modify data).
 */
export function writeCtes(writes: readonly DeferredWrite[], before: number): { ctes: string[]; params: unknown[] } {
  const ctes: string[] = []
  const params: unknown[] = []
  for (const [i, write] of writes.entries()) {
    const offset = before + params.length
    ctes.push(`w${i} AS (${write.sql((n) => `$${offset + n}`)})`)
    params.push(...write.params)
  }
  return { ctes, params }
}

/**
 * `INSERT INTO table (columns) VALUES (...), (...)` for these rows, each row's values in column
 * order: the table and the column list are the caller's constants, never input.
 */
export function insertRowsWrite(table: string, columns: string, rows: ReadonlyArray<readonly unknown[]>): DeferredWrite {
  const width = columns.split(',').length
  return {
    sql: (param) =>
      `INSERT INTO ${table} (${columns}) VALUES ` +
      rows.map((_, row) => `(${Array.from({ length: width }, (_, col) => param(row * width + col + 1)).join(', ')})`).join(', '),
    params: rows.flat(),
  }
}
