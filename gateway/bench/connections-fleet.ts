/**
 * Registers the bench fleet — one elder with one watch per device — straight into the registry
 * tables through the registry's own store functions (insertElder, insertDevice, the same
 * salted SHA-256 secret hash the API uses), in transactions of 500.
 *
 * Why not the operator API: every POST /elders makes the running rule engine reload all of the
 * tenant's elders, so registering n elders through it costs O(n²) — ~47 requests/s already at
 * 500 elders here, hours at 100,000. The bench registers before the measured gateway starts,
 * which then loads the whole registry at start-up as it would after a restart in production.
 */
import { randomUUID } from 'node:crypto'
import { mapLimit } from '../../simulators/src/core/api-client'
import { insertDevice } from '../src/registry/device-store'
import { insertElder } from '../src/registry/elder-store'
import { generateDeviceSecret, hashDeviceSecret } from '../src/registry/secrets'
import { firstTenantId } from '../src/registry/tenant-store'
import { openDb } from '../src/storage/db'
import { createLogger } from '../src/logger'

export interface BenchDevice {
  id: string
  secret: string
  home: { lat: number; lon: number }
}

const BATCH = 500

export async function registerFleet(databaseUrl: string, count: number, onProgress: (done: number) => void): Promise<BenchDevice[]> {
  const db = await openDb({ databaseUrl, dataDir: 'unused', logger: createLogger('warn'), poolSize: 4 })
  try {
    const tenantId = await firstTenantId(db)
    if (tenantId === null) throw new Error('no tenant: start the gateway once on this database first (it bootstraps one)')
    const batches = Array.from({ length: Math.ceil(count / BATCH) }, (_, b) => b)
    let done = 0
    const parts = await mapLimit(batches, 4, (b) =>
      db.transaction(async (tx) => {
        const made: BenchDevice[] = []
        for (let i = b * BATCH; i < Math.min(count, (b + 1) * BATCH); i++) {
          // A 10 km square around a county town: readings land at home, so no rule fires.
          const home = { lat: 30.7 + (i % 100) * 0.001, lon: 120.7 + Math.floor(i / 100) * 0.0005 }
          const elder = await insertElder(tx, tenantId, randomUUID(), { name: `capacity-${i}`, home: { ...home, radiusM: 100 } })
          const secret = generateDeviceSecret()
          const device = await insertDevice(tx, tenantId, { id: randomUUID(), elderId: elder.id, kind: 'watch', secretHash: hashDeviceSecret(secret) })
          made.push({ id: device.id, secret, home })
        }
        done += made.length
        onProgress(done)
        return made
      }),
    )
    return parts.flat()
  } finally {
    await db.close()
  }
}
