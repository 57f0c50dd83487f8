import { open } from 'node:fs/promises'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { EgError } from '../errors'
import { PMTILES_PATH } from './base-map'
import { httpErrorHandler } from './error-handler'

/**
 * `GET|HEAD /map/tiles.pmtiles`: the base-map archive of EG_MAP_PMTILES, for the board's map to
 * read by byte ranges (the `pmtiles` package asks for the header and root directory in one
 * 16 KiB range, then for directories and single tiles). @fastify/static (its `send`) does the
 * HTTP: 206 with Content-Range for one range, 416 (naming the size in Content-Range) for a range
 * past the end, Accept-Ranges, ETag and Last-Modified with If-None-Match / If-Range, and HEAD.
 *
 * No bearer token: like the board's own files it is what any browser on the LAN may load (a
 * base map, no elder's data), and a token would keep the ranges out of the browser's cache.
 * Hidden from the OpenAPI document like the board's files: it is a file, not an operation.
 */
export function mapTilesRoute(file: string): FastifyPluginAsync {
  const absolute = path.resolve(file)
  return async (app) => {
    await checkRasterArchive(absolute)
    // send's 416 reaches the error handler as an error carrying its Content-Range (the archive's
    // size, which a reader needs to ask again); the gateway's handler writes only the error body.
    app.setErrorHandler((err: FastifyError & { headers?: Record<string, string> }, request, reply) => {
      const range = err.headers?.['Content-Range']
      if (range !== undefined) reply.header('content-range', range)
      return httpErrorHandler(err, request, reply)
    })
    // serve: false — only reply.sendFile; this one route decides what is served.
    await app.register(fastifyStatic, { root: path.dirname(absolute), serve: false, index: false, dotfiles: 'allow' })
    app.get(PMTILES_PATH, { schema: { hide: true } }, (_request, reply) =>
      // max-age 0: a browser revalidates (304) rather than mixing ranges of a replaced archive.
      reply.sendFile(path.basename(absolute), path.dirname(absolute), { maxAge: 0 }),
    )
  }
}

/** PMTiles v3 header fields the board relies on (the spec's fixed 127-byte header). */
const HEADER_BYTES = 127
const MAGIC = 'PMTiles'
/** Tile types 2–5: PNG, JPEG, WebP, AVIF — what an <img> shows. 1 and 6 are vector tiles. */
const RASTER_TILE_TYPES = new Set([2, 3, 4, 5])
/** Directory compression the browser can undo: none, gzip (DecompressionStream); not brotli or zstd. */
const READABLE_COMPRESSION = new Set([0, 1, 2])

/**
 * Reads the archive's header at start, so a wrong file stops the gateway with a line that says
 * why (not a grey map in every operator's browser later).
 */
export async function checkRasterArchive(file: string): Promise<void> {
  const invalid = (why: string) => new EgError('CONFIG_INVALID', `EG_MAP_PMTILES=${JSON.stringify(file)}: ${why}`)
  let header: Buffer
  try {
    const handle = await open(file, 'r')
    try {
      header = Buffer.alloc(HEADER_BYTES)
      const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0)
      header = header.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  } catch (err) {
    throw invalid(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  if (header.length < HEADER_BYTES || header.toString('latin1', 0, 7) !== MAGIC) throw invalid('not a PMTiles archive')
  if (header[7] !== 3) throw invalid(`PMTiles spec version ${header[7]}; the board reads version 3 (convert it with \`pmtiles convert\`)`)
  const tileType = header[99] ?? 0
  if (!RASTER_TILE_TYPES.has(tileType)) throw invalid(`tile type ${tileType} is not raster (PNG, JPEG, WebP or AVIF); the board draws raster tiles only`)
  const compression = header[97] ?? 0
  if (!READABLE_COMPRESSION.has(compression)) throw invalid(`directory compression ${compression}: browsers read only none or gzip`)
}
