import { readFile, writeFile } from 'node:fs/promises'
import { GatewayApi, mapLimit } from '../core/api-client'
import type { TownFile } from '../town/town'
import type { FleetDevice } from './connections'

/**
 * The devices a load run uses: created through the API (one elder with one watch each, as a
 * county registers them), or read from a town file or a fleet file a previous run wrote.
 * A fleet file holds device SECRETS.
 */
export interface FleetFile {
  version: 1
  kind: 'fleet'
  note: string
  gatewayUrl: string
  devices: Array<FleetDevice & { elderId: string }>
}

export async function readDevices(path: string): Promise<FleetDevice[]> {
  const doc = JSON.parse(await readFile(path, 'utf8')) as Partial<FleetFile> & Partial<TownFile>
  if (doc.kind === 'fleet' && Array.isArray(doc.devices)) return doc.devices.map(({ id, secret }) => ({ id, secret }))
  // Watches on the watch protocol have no secret and speak no MQTT: the load run leaves them out.
  if (Array.isArray(doc.elders)) return doc.elders.flatMap((e) => [e.watch, e.camera]).filter((d): d is FleetDevice => d !== undefined && 'secret' in d)
  throw new Error(`${path} is neither a town file nor a fleet file`)
}

export async function createFleet(api: GatewayApi, count: number, opts: { concurrency?: number; onProgress?: (done: number) => void } = {}): Promise<FleetFile['devices']> {
  let done = 0
  const tag = Date.now().toString(36)
  return mapLimit(Array.from({ length: count }, (_, i) => i), opts.concurrency ?? 16, async (i) => {
    // Spread over a 10 km square so the rule engine's spatial work is realistic.
    const elder = await api.post<{ id: string }>('/api/v1/elders', {
      name: `load-${tag}-${i}`, home: { lat: 30.7 + (i % 100) * 0.001, lon: 120.7 + Math.floor(i / 100) * 0.0005, radiusM: 100 },
    })
    const watch = await api.post<{ id: string; secret: string }>('/api/v1/devices', { elderId: elder.id, kind: 'watch' })
    opts.onProgress?.(++done)
    return { id: watch.id, secret: watch.secret, elderId: elder.id }
  })
}

export async function writeFleet(path: string, gatewayUrl: string, devices: FleetFile['devices']): Promise<void> {
  const file: FleetFile = { version: 1, kind: 'fleet', note: 'eldergate load fleet. CONTAINS DEVICE SECRETS.', gatewayUrl, devices }
  await writeFile(path, `${JSON.stringify(file)}\n`, { mode: 0o600 })
}
