import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config'
import { baseMapOf } from './base-map'

/**
 * Response headers for the board and the API, by @fastify/helmet (on every response, set in an
 * onRequest hook, so errors and 404s carry them too):
 *
 * - a Content-Security-Policy that allows only the gateway's own scripts, styles and API — the
 *   built board has no inline script or style (Vite emits external files; Preact sets element
 *   styles through the CSSOM, which style-src does not govern), so no 'unsafe-inline'
 *   anywhere — Leaflet, too, positions tiles and markers through the CSSOM. Images: the
 *   board's own, `data:` (its empty favicon, Leaflet's small control icons that Vite inlines)
 *   and what the base map (base-map.ts) needs: the tile server of EG_MAP_TILE_URL, the one
 *   origin outside the gateway the board loads from, or `blob:` for a PMTiles archive — the
 *   `pmtiles` layer reads each tile's bytes by a same-origin range request (connect-src
 *   'self') and shows it through an object URL of those bytes;
 * - `frame-ancestors 'none'` and `X-Frame-Options: DENY`: the board is never framed (clickjacking
 *   on "resolve alert", "disable user");
 * - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (URLs carry elder ids);
 * - helmet's other defaults (HSTS — ignored by browsers over plain HTTP —, COOP, CORP).
 *   Not `upgrade-insecure-requests`: a gateway reached over plain HTTP on a county LAN would
 *   have the browser fetch its scripts over HTTPS, from nowhere.
 *
 * And `Cache-Control: no-store` on every /api answer: alerts, elders' names and addresses must
 * not stay in a shared browser's cache or an intermediate proxy.
 */
export async function registerSecurityHeaders(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...baseMapImageSources(config)],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  })
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store')
    return payload
  })
}

/** Where the base map's tile images come from: blob: URLs (PMTiles) or the tile server's origins. */
function baseMapImageSources(config: Config): string[] {
  const base = baseMapOf(config)
  if (base.kind === 'pmtiles') return ['blob:']
  return base.kind === 'tiles' ? tileOrigins(base.url) : []
}

/**
 * The origins a tile template loads from: `https://{s}.tiles.example/{z}/{x}/{y}.png` → the a, b
 * and c subdomains the board uses (Leaflet's default `subdomains`, dashboard/src/map/base-layer.ts).
 */
export function tileOrigins(template: string | undefined): string[] {
  if (template === undefined) return []
  const origins = new Set<string>()
  for (const sub of template.includes('{s}') ? ['a', 'b', 'c'] : ['']) {
    try {
      origins.add(new URL(template.replaceAll('{s}', sub).replace(/\{[xyz]\}/g, '0')).origin)
    } catch {
      // Not a URL once filled in: the board cannot load it either.
    }
  }
  return [...origins]
}
