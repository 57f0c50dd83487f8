import pg from 'pg'

/**
 * A database that stalls for the gateway, the real way: another connection holds an exclusive
 * lock on `readings`, so every INSERT of the writer waits on it (nothing can commit) until
 * release(). `writerWaiting()` tells when an INSERT is really waiting (not merely not yet sent).
 */
export interface ReadingsLock {
  writerWaiting(): Promise<boolean>
  release(): Promise<void>
}

export async function lockReadings(url: string): Promise<ReadingsLock> {
  const blocker = new pg.Client({ connectionString: url })
  await blocker.connect()
  await blocker.query('BEGIN')
  await blocker.query('LOCK TABLE readings IN ACCESS EXCLUSIVE MODE')
  let released = false
  return {
    async writerWaiting() {
      const rows = await blocker.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'readings'::regclass AND NOT granted")
      return rows.rows[0]!.n > 0
    },
    async release() {
      if (released) return
      released = true
      await blocker.query('COMMIT')
      await blocker.end()
    },
  }
}
