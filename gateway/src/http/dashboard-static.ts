import { stat } from 'node:fs/promises'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'

/**
 * Serves the operator board (dashboard/dist, built by `npm run build:dashboard`) at `/`.
 *
 * The board routes by path (/risk, /elders/:id, ...), so any GET that is not a file and not
 * the API gets index.html (SPA fallback). /api/… paths nobody answers keep the API's JSON 404
 * (reply.callNotFound), and a missing asset (a path with an extension) is a real 404, not a
 * page of HTML where a script was expected. Routes registered elsewhere (/docs, /healthz,
 * /metrics, /api/v1/...) are more specific than `/*` and win in fastify's router.
 *
 * Register it at the root, before the app is ready: `app.register(dashboardStatic({ root }))`.
 */
export interface DashboardStaticOptions {
  /** Absolute path of the built dashboard (the folder holding index.html). */
  root: string
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>eldergate</title>
<body style="font:20px system-ui;background:#0e1116;color:#eef1f5;padding:2rem">
<h1>告警看板尚未构建 · The dashboard is not built</h1>
<p>Run <code>npm run build:dashboard</code>, then reload. The API is at <a style="color:#4dabf7" href="/docs">/docs</a>.</p>`

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile()
  } catch {
    return false
  }
}

/** The request path as a safe path relative to root, or null when it tries to leave it. */
function relativePath(url: string): string | null {
  let pathname: string
  try {
    pathname = decodeURIComponent(url.split('?')[0] ?? '/')
  } catch {
    return null
  }
  if (pathname.includes('\0')) return null
  const normalised = path.posix.normalize(pathname)
  if (normalised.split('/').includes('..')) return null
  return normalised.replace(/^\/+/, '')
}

export function dashboardStatic(opts: DashboardStaticOptions): FastifyPluginAsync {
  const root = path.resolve(opts.root)
  const indexFile = path.join(root, 'index.html')

  return async (app) => {
    // serve: false — only reply.sendFile; the route below decides what is served.
    await app.register(fastifyStatic, { root, serve: false, index: false, dotfiles: 'deny' })

    const sendIndex = async (reply: FastifyReply) => {
      if (!(await isFile(indexFile))) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT)
      // The board's HTML names the hashed bundles of this build: never cache it.
      return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false })
    }

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const rel = relativePath(request.url)
      if (rel === null) return reply.callNotFound()
      if (rel === 'api' || rel.startsWith('api/')) return reply.callNotFound()
      if (rel === '' || rel === 'index.html') return sendIndex(reply)
      if (await isFile(path.join(root, rel))) {
        // Vite names bundles by content hash: they never change under one name.
        const immutable = rel.startsWith('assets/')
        return reply.sendFile(rel, immutable ? { immutable: true, maxAge: '365d' } : { maxAge: 0 })
      }
      if (path.posix.extname(rel) !== '') return reply.callNotFound()
      return sendIndex(reply)
    }

    const schema = { hide: true }
    app.get('/', { schema }, handler)
    app.get('/*', { schema }, handler)
  }
}
