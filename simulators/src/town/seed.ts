import { mapLimit, type GatewayApi } from '../core/api-client'
import { watchNumber, type WatchProtocol } from './protocols'
import type { Town, TownElder, TownFile } from './town'

/**
 * Registers a town with the gateway through the operator API, as a county's staff would:
 * the police station, venues, then each elder with contacts and one watch and one camera.
 * Ids and the one-time device secrets are written back into the town. A watch on the watch
 * protocol (the elder's `watchProtocol`) is registered by its number, with the town's clock
 * offset: cheap Chinese watches keep local time, and the gateway reads their clocks so.
 */
export interface SeedProgress {
  (done: number, total: number, what: string): void
}

interface Created {
  id: string
}

interface CreatedDevice {
  id: string
  secret: string
}

export interface SeedSummary {
  policeStationId: string
  venues: number
  elders: number
  devices: number
  /** Watches by protocol. */
  watches: Record<WatchProtocol, number>
}

export async function seedTown(api: GatewayApi, town: Town, opts: { concurrency?: number; progress?: SeedProgress } = {}): Promise<SeedSummary> {
  const file = town.file
  const station = file.policeStation
  station.id = (await api.post<Created>('/api/v1/police-stations', { name: station.name, webhookUrl: station.webhookUrl, secret: station.secret, format: station.format })).id

  const total = file.venues.length + file.elders.length
  let done = 0
  const tick = (what: string) => opts.progress?.(++done, total, what)
  await mapLimit(file.venues, opts.concurrency ?? 8, async (venue) => {
    venue.id = (await api.post<Created>('/api/v1/venues', { name: venue.name, kind: venue.kind, lat: venue.lat, lon: venue.lon, radiusM: venue.radiusM })).id
    tick(venue.name)
  })
  await mapLimit(file.elders, opts.concurrency ?? 8, async (elder) => {
    await seedElder(api, file, elder, station.id as string)
    tick(elder.name)
  })
  const watches: Record<WatchProtocol, number> = { mqtt: 0, watch: 0, http: 0 }
  for (const elder of file.elders) watches[elder.watchProtocol ?? 'mqtt']++
  return { policeStationId: station.id, venues: file.venues.length, elders: file.elders.length, devices: file.elders.length * 2, watches }
}

async function seedElder(api: GatewayApi, file: TownFile, elder: TownElder, policeStationId: string): Promise<void> {
  const created = await api.post<Created>('/api/v1/elders', {
    name: elder.name,
    home: elder.home,
    language: 'zh-CN',
    policeStationId,
    phone: elder.phone,
    address: elder.address,
    area: elder.area,
    contacts: elder.contacts.map((c) => ({ name: c.name, relation: c.relation, phone: c.phone, webhookUrl: c.webhookUrl, secret: c.secret })),
  })
  elder.id = created.id
  if (elder.watchProtocol === 'watch') {
    const imei = watchNumber(file.seed, elder.key)
    const clockOffsetMinutes = file.utcOffsetMin
    const watch = await api.post<Created>('/api/v1/devices', { elderId: created.id, kind: 'watch', protocol: 'watch', imei, clockOffsetMinutes })
    elder.watch = { id: watch.id, imei, clockOffsetMinutes }
  } else {
    const watch = await api.post<CreatedDevice>('/api/v1/devices', { elderId: created.id, kind: 'watch' })
    elder.watch = { id: watch.id, secret: watch.secret }
  }
  const camera = await api.post<CreatedDevice>('/api/v1/devices', { elderId: created.id, kind: 'camera' })
  elder.camera = { id: camera.id, secret: camera.secret }
}
