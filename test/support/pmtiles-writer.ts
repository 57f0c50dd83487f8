import { gzipSync } from 'node:zlib'
import { PNG } from 'pngjs'
import { zxyToTileId } from 'pmtiles'

/**
 * A small raster PMTiles v3 archive written the way the spec lays it out (header, root
 * directory, metadata, tile data; no leaf directories, tiles stored as they are), for tests of the
 * offline base map. The `pmtiles` package only reads archives; this writes what it reads.
 * Spec: github.com/protomaps/PMTiles, spec/v3/spec.md.
 */
export interface RasterTile {
  z: number
  x: number
  y: number
  /** The encoded image; tiles sharing one buffer are stored once (as `pmtiles convert` dedupes). */
  data: Uint8Array
}

export interface ArchiveOptions {
  /** [west, south, east, north] in degrees. */
  bounds: [number, number, number, number]
  /** 1 vector (MVT), 2 PNG, 3 JPEG, 4 WebP. */
  tileType?: number
  metadata?: Record<string, unknown>
  /** Gzip the directory and metadata, as `pmtiles convert` does (the browser undoes it). */
  gzip?: boolean
}

const HEADER_BYTES = 127

function varint(out: number[], value: number): void {
  let v = value
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
}

interface Entry {
  tileId: number
  offset: number
  length: number
}

/** Directory: count, then tile-id deltas, run lengths, lengths, offsets (0: right after the previous). */
function directory(entries: readonly Entry[]): Buffer {
  const out: number[] = []
  varint(out, entries.length)
  let last = 0
  for (const e of entries) {
    varint(out, e.tileId - last)
    last = e.tileId
  }
  for (let i = 0; i < entries.length; i++) varint(out, 1)
  for (const e of entries) varint(out, e.length)
  entries.forEach((e, i) => {
    const prev = entries[i - 1]
    varint(out, prev !== undefined && e.offset === prev.offset + prev.length ? 0 : e.offset + 1)
  })
  return Buffer.from(out)
}

export function writePmtiles(tiles: readonly RasterTile[], opts: ArchiveOptions): Buffer {
  const stored = new Map<Uint8Array, { offset: number; length: number }>()
  const chunks: Uint8Array[] = []
  let dataLength = 0
  const entries: Entry[] = tiles
    .map((t) => ({ tile: t, tileId: zxyToTileId(t.z, t.x, t.y) }))
    .sort((a, b) => a.tileId - b.tileId)
    .map(({ tile, tileId }) => {
      let at = stored.get(tile.data)
      if (at === undefined) {
        at = { offset: dataLength, length: tile.data.length }
        stored.set(tile.data, at)
        chunks.push(tile.data)
        dataLength += tile.data.length
      }
      return { tileId, ...at }
    })
  const packed = (bytes: Buffer) => (opts.gzip === true ? gzipSync(bytes) : bytes)
  const root = packed(directory(entries))
  const metadata = packed(Buffer.from(JSON.stringify(opts.metadata ?? {})))
  const zooms = tiles.map((t) => t.z)
  const [west, south, east, north] = opts.bounds

  const h = Buffer.alloc(HEADER_BYTES)
  h.write('PMTiles', 0, 'latin1')
  h.writeUInt8(3, 7)
  const u64 = (at: number, v: number) => h.writeBigUInt64LE(BigInt(v), at)
  const i32 = (at: number, degrees: number) => h.writeInt32LE(Math.round(degrees * 1e7), at)
  const rootOffset = HEADER_BYTES
  const metadataOffset = rootOffset + root.length
  const dataOffset = metadataOffset + metadata.length
  u64(8, rootOffset)
  u64(16, root.length)
  u64(24, metadataOffset)
  u64(32, metadata.length)
  u64(40, dataOffset) // no leaf directories: offset anywhere, length 0
  u64(48, 0)
  u64(56, dataOffset)
  u64(64, dataLength)
  u64(72, entries.length)
  u64(80, entries.length)
  u64(88, stored.size)
  h.writeUInt8(0, 96) // not clustered: deduplicated tiles point back
  h.writeUInt8(opts.gzip === true ? 2 : 1, 97) // directory and metadata: gzip or none
  h.writeUInt8(1, 98) // tile compression: none (images are compressed already)
  h.writeUInt8(opts.tileType ?? 2, 99)
  h.writeUInt8(Math.min(...zooms), 100)
  h.writeUInt8(Math.max(...zooms), 101)
  i32(102, west)
  i32(106, south)
  i32(110, east)
  i32(114, north)
  h.writeUInt8(Math.max(...zooms), 118)
  i32(119, (west + east) / 2)
  i32(123, (south + north) / 2)
  return Buffer.concat([h, root, metadata, ...chunks])
}

/** A one-colour PNG tile (opaque RGB), so a screenshot can tell the tile by its colour. */
export function solidPng(rgb: readonly [number, number, number], size = 256): Uint8Array {
  const png = new PNG({ width: size, height: size, colorType: 2 })
  for (let i = 0; i < size * size; i++) {
    png.data[i * 4] = rgb[0]
    png.data[i * 4 + 1] = rgb[1]
    png.data[i * 4 + 2] = rgb[2]
    png.data[i * 4 + 3] = 255
  }
  return new Uint8Array(PNG.sync.write(png, { colorType: 2 }))
}

/** Slippy-map tiles (x, y) at zoom z that cover a box of [west, south, east, north]. */
export function tilesCovering(bounds: readonly [number, number, number, number], z: number): Array<{ z: number; x: number; y: number }> {
  const n = 2 ** z
  const tx = (lon: number) => Math.floor(((lon + 180) / 360) * n)
  const ty = (lat: number) => Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * n)
  const [west, south, east, north] = bounds
  const out: Array<{ z: number; x: number; y: number }> = []
  for (let x = tx(west); x <= tx(east); x++) for (let y = ty(north); y <= ty(south); y++) out.push({ z, x, y })
  return out
}
