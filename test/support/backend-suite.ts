import { afterAll, beforeAll } from 'vitest'
import type { Db } from '../../gateway/src/storage/db'
import type { backends } from './databases'

/**
 * A migrated database of `backend` for one describe block: opened before its tests, dropped
 * after them. Returns a getter, read inside the tests (the database exists only from beforeAll).
 */
export function useBackendDb(backend: (typeof backends)[number]): () => Db {
  let opened: Awaited<ReturnType<typeof backend.open>> | undefined
  beforeAll(async () => {
    opened = await backend.open()
  })
  afterAll(() => opened?.cleanup())
  return () => {
    if (opened === undefined) throw new Error('the database is opened in beforeAll')
    return opened.db
  }
}
