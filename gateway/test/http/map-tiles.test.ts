import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { solidPng, tilesCovering, writePmtiles } from '../../../test/support/pmtiles-writer'
import { loadConfig } from '../../src/config'
import { baseMapOf } from '../../src/http/base-map'
import { checkRasterArchive } from '../../src/http/map-tiles'
import { ADMIN_PASSWORD, bearer, login, startApi, type Api } from './harness'

/**
 * The offline base map (EG_MAP_PMTILES): the archive served at /map/tiles.pmtiles by byte ranges
 * as the board's `pmtiles` reader asks for them (206, 416, HEAD, validators), the board config
 * that names it, a CSP that lets its tiles show (blob:) and nothing else in, and a wrong file
 * refused at start.
 */
const pglite = backends.find((b) => b.name === 'pglite') ?? backends[0]!
const BOUNDS: [number, number, number, number] = [121.44, 31.21, 121.5, 31.25]

describe('the PMTiles base map route', () => {
  let api: Api
  let archive: Buffer
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'eg-pmtiles-'))
    const png = solidPng([30, 140, 90])
    archive = writePmtiles(
      [12, 13].flatMap((z) => tilesCovering(BOUNDS, z)).map((t) => ({ ...t, data: png })),
      { bounds: BOUNDS },
    )
    await writeFile(path.join(dir, 'county.pmtiles'), archive)
    // Both set: the archive wins, and the tile server is neither named nor allowed.
    api = await startApi(pglite, { env: { EG_MAP_PMTILES: path.join(dir, 'county.pmtiles'), EG_MAP_TILE_URL: 'https://tiles.example.org/{z}/{x}/{y}.png', EG_MAP_CRS: 'gcj02' } })
  })
  afterAll(() => api?.close())

  const get = (headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') => api.app.inject({ method, url: '/map/tiles.pmtiles', headers })

  it('answers the whole archive with Accept-Ranges and validators, without a token', async () => {
    const res = await get()
    expect(res.statusCode).toBe(200)
    expect(res.rawPayload.equals(archive)).toBe(true)
    expect(res.headers['accept-ranges']).toBe('bytes')
    expect(Number(res.headers['content-length'])).toBe(archive.length)
    expect(res.headers.etag).toMatch(/"/)
    expect(new Date(String(res.headers['last-modified'])).getTime()).toBeGreaterThan(0)
    expect(res.headers['content-type']).toBe('application/octet-stream')
    // Revalidated, never served stale from a cache after the archive is replaced.
    expect(res.headers['cache-control']).toMatch(/max-age=0/)
  })

  it('answers a range with 206 and Content-Range, clamping a range that runs past the end', async () => {
    const header = await get({ range: 'bytes=0-126' })
    expect(header.statusCode).toBe(206)
    expect(header.headers['content-range']).toBe(`bytes 0-126/${archive.length}`)
    expect(header.rawPayload.equals(archive.subarray(0, 127))).toBe(true)
    expect(header.rawPayload.toString('latin1', 0, 7)).toBe('PMTiles')

    // The reader's first request: 16 KiB, more than this archive holds.
    const first = await get({ range: 'bytes=0-16383' })
    expect(first.statusCode).toBe(206)
    expect(first.headers['content-range']).toBe(`bytes 0-${archive.length - 1}/${archive.length}`)
    expect(first.rawPayload.length).toBe(archive.length)

    const middle = await get({ range: 'bytes=200-299' })
    expect(middle.statusCode).toBe(206)
    expect(Number(middle.headers['content-length'])).toBe(100)
    expect(middle.rawPayload.equals(archive.subarray(200, 300))).toBe(true)

    const suffix = await get({ range: 'bytes=-10' })
    expect(suffix.statusCode).toBe(206)
    expect(suffix.rawPayload.equals(archive.subarray(archive.length - 10))).toBe(true)
  })

  it('answers 416 with the size for a range past the end', async () => {
    const res = await get({ range: `bytes=${archive.length}-${archive.length + 100}` })
    expect(res.statusCode).toBe(416)
    expect(res.headers['content-range']).toBe(`bytes */${archive.length}`)
  })

  it('answers HEAD with the headers and no body, and 304 to a matching If-None-Match', async () => {
    const head = await get({}, 'HEAD')
    expect(head.statusCode).toBe(200)
    expect(Number(head.headers['content-length'])).toBe(archive.length)
    expect(head.headers['accept-ranges']).toBe('bytes')
    expect(head.rawPayload.length).toBe(0)
    const headRange = await get({ range: 'bytes=0-126' }, 'HEAD')
    expect(headRange.statusCode).toBe(206)
    expect(headRange.rawPayload.length).toBe(0)

    const etag = String((await get()).headers.etag)
    expect((await get({ 'if-none-match': etag })).statusCode).toBe(304)
    // If-Range with the current validator keeps the range; with an old one, the whole file.
    expect((await get({ range: 'bytes=0-9', 'if-range': etag })).statusCode).toBe(206)
    expect((await get({ range: 'bytes=0-9', 'if-range': '"an-older-archive"' })).statusCode).toBe(200)
  })

  it('names the archive in the board config and lets only its blob: tiles into the CSP', async () => {
    const token = await login(api.app, 'admin', ADMIN_PASSWORD)
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/board-config', headers: bearer(token) })
    expect(res.json()).toEqual({ baseMap: 'pmtiles', pmtilesUrl: '/map/tiles.pmtiles', tileUrl: null, mapCrs: 'gcj02', attribution: null, tenantName: 'county-a' })
    const csp = String((await get()).headers['content-security-policy'])
    expect(csp).toContain("img-src 'self' data: blob:;")
    expect(csp).toContain("connect-src 'self';")
    expect(csp).not.toContain('tiles.example.org')
  })
})

describe('EG_MAP_PMTILES and EG_MAP_CRS', () => {
  it('chooses the archive over a tile server over none', () => {
    expect(baseMapOf(loadConfig({}))).toEqual({ kind: 'none', url: null })
    expect(baseMapOf(loadConfig({ EG_MAP_TILE_URL: 'https://t.example/{z}/{x}/{y}.png' }))).toEqual({ kind: 'tiles', url: 'https://t.example/{z}/{x}/{y}.png' })
    expect(baseMapOf(loadConfig({ EG_MAP_TILE_URL: 'https://t.example/{z}/{x}/{y}.png', EG_MAP_PMTILES: '/srv/county.pmtiles' }))).toEqual({ kind: 'pmtiles', url: '/map/tiles.pmtiles' })
  })

  it('takes wgs84 by default and names the variable for an unknown datum', () => {
    expect(loadConfig({}).EG_MAP_CRS).toBe('wgs84')
    expect(loadConfig({ EG_MAP_CRS: 'bd09' }).EG_MAP_CRS).toBe('bd09')
    expect(() => loadConfig({ EG_MAP_CRS: 'epsg4326' })).toThrow(/EG_MAP_CRS="epsg4326"/)
  })

  it('refuses at start a file that is missing, not PMTiles v3, or not raster', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'eg-pmtiles-bad-'))
    const write = async (name: string, bytes: Uint8Array) => {
      await writeFile(path.join(dir, name), bytes)
      return path.join(dir, name)
    }
    await expect(checkRasterArchive(path.join(dir, 'missing.pmtiles'))).rejects.toThrow(/EG_MAP_PMTILES=.*cannot be read \(ENOENT\)/)
    await expect(checkRasterArchive(await write('tiles.mbtiles', Buffer.from('SQLite format 3\0'.padEnd(200, '\0'))))).rejects.toThrow(/not a PMTiles archive/)
    const tiles = tilesCovering(BOUNDS, 12).map((t) => ({ ...t, data: new Uint8Array([1, 2, 3]) }))
    const v2 = writePmtiles(tiles, { bounds: BOUNDS })
    v2.writeUInt8(2, 7)
    await expect(checkRasterArchive(await write('v2.pmtiles', v2))).rejects.toThrow(/spec version 2/)
    await expect(checkRasterArchive(await write('vector.pmtiles', writePmtiles(tiles, { bounds: BOUNDS, tileType: 1 })))).rejects.toThrow(/tile type 1 is not raster/)
    await expect(checkRasterArchive(await write('raster.pmtiles', writePmtiles(tiles, { bounds: BOUNDS })))).resolves.toBeUndefined()
    // The gateway does not start on it: buildHttpApp fails with the same line.
    await expect(startApi(pglite, { env: { EG_MAP_PMTILES: path.join(dir, 'vector.pmtiles') } })).rejects.toThrow(/EG_MAP_PMTILES=.*not raster/)
  })
})
