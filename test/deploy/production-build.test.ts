import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listMigrations } from '../../gateway/src/storage/migrate'

/**
 * The production build (scripts/build.mjs, run by `npm ci` as "prepare"): `npm start` and the
 * Docker image run `node` on dist/gateway/main.js — no tsx, no Vite. The gateway is started from
 * the compiled output as a real process on ephemeral ports, once from a production layout that
 * holds no TypeScript sources and no build tools, once through `npm start`.
 */
const root = fileURLToPath(new URL('../..', import.meta.url))
const bundle = path.join(root, 'dist/gateway/main.js')
const boardIndex = path.join(root, 'dashboard/dist/index.html')
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>
  dependencies: Record<string, string>
}
/** Build and TypeScript tooling the compiled gateway must never load. */
const TOOLING = ['tsx', 'esbuild', 'vite', 'typescript', 'vitest', 'rolldown']
const START_TIMEOUT_MS = 90_000
const children: ChildProcess[] = []

interface Ready {
  httpPort: number
  mqttPort: number
}

/** Resolves with the ports of the "eldergate ready" line; rejects when the process exits first. */
function readyLine(child: ChildProcess, output: string[]): Promise<Ready> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      output.push(line)
      if (!line.startsWith('{') || !line.includes('eldergate ready')) return
      resolve(JSON.parse(line) as Ready)
    })
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    child.once('exit', (code) => reject(new Error(`exited with ${code} before it was ready:\n${output.join('\n')}`)))
  })
}

/** A clean environment: a developer's own EG_* settings (EG_DASHBOARD_DIR, DATABASE_URL) must not leak in. */
function gatewayEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    EG_MQTT_PORT: '0',
    EG_HTTP_PORT: '0',
    EG_HOST: '127.0.0.1',
    EG_DATA_DIR: 'memory://',
    EG_ADMIN_PASSWORD: 'production-build-test-7Qx!',
    EG_LOG_LEVEL: 'info',
  }
}

async function expectServes(httpPort: number, index: string): Promise<void> {
  const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`)
  expect(health.status).toBe(200)
  expect(((await health.json()) as { status: string }).status).toBe('ok')
  // The board: the built index.html at /, and the script it names.
  const page = await fetch(`http://127.0.0.1:${httpPort}/`)
  expect(page.status).toBe(200)
  const html = await page.text()
  expect(html).toBe(index)
  const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
  expect(script).toBeDefined()
  const asset = await fetch(`http://127.0.0.1:${httpPort}${script}`)
  expect(asset.status).toBe(200)
  expect(asset.headers.get('content-type')).toMatch(/javascript/)
}

/** Linux: the processes descended from pid (npm → sh → node), with their command lines. */
function descendants(pid: number): Array<{ pid: number; argv: string[] }> {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean)
        return [{ pid: Number(d), ppid, argv }]
      } catch {
        return [] // gone meanwhile
      }
    })
  const found: Array<{ pid: number; argv: string[] }> = []
  const walk = (parent: number) => {
    for (const p of all.filter((q) => q.ppid === parent)) {
      found.push({ pid: p.pid, argv: p.argv })
      walk(p.pid)
    }
  }
  walk(pid)
  return found
}

beforeAll(() => {
  // `npm ci` built it (prepare); rebuilt here only when a source changed since (a developer's tree).
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, stdio: 'pipe' })
}, 180_000)

afterAll(() => {
  for (const child of children) {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL') // its process group: npm, sh and the gateway
      } catch {
        child.kill('SIGKILL')
      }
    }
  }
})

describe('production build', () => {
  it('is wired into npm: prepare and build run scripts/build.mjs, start runs node on the bundle', () => {
    expect(pkg.scripts.prepare).toMatch(/^node scripts\/build\.mjs\b/)
    expect(pkg.scripts.build).toBe('node scripts/build.mjs')
    expect(pkg.scripts.start).toMatch(/^node (--[a-z-]+ )*dist\/gateway\/main\.js$/)
    expect(pkg.scripts.prestart).toBe('node scripts/build.mjs --if-stale')
    for (const tool of TOOLING) expect(`${pkg.scripts.start} ${pkg.scripts.prestart}`).not.toContain(tool)
    expect(execFileSync(process.execPath, ['scripts/build.mjs', '--check'], { cwd: root, encoding: 'utf8' })).toMatch(/fresh/)
  })

  it('bundles the gateway into one ES module importing only node builtins and production dependencies', () => {
    const code = readFileSync(bundle, 'utf8')
    const specifiers = new Set([
      ...[...code.matchAll(/^\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']/gm)].map((m) => m[1] ?? ''),
      ...[...code.matchAll(/^\s*import\s*["']([^"']+)["']/gm)].map((m) => m[1] ?? ''),
      ...[...code.matchAll(/\b(?:import|require)\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? ''),
    ])
    expect(specifiers.size).toBeGreaterThan(10)
    const builtins = new Set(builtinModules)
    for (const spec of specifiers) {
      if (spec.startsWith('node:') || builtins.has(spec)) continue
      expect(spec.startsWith('.'), `${spec}: a relative import left in the bundle`).toBe(false)
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? '')
      expect(pkg.dependencies[name], `${spec} is not a production dependency`).toBeDefined()
      expect(TOOLING).not.toContain(name)
    }
    expect(existsSync(`${bundle}.map`)).toBe(true)
    // The migrations beside the bundle: storage/migrate.ts reads ./migrations/ from import.meta.url.
    expect(listMigrations(path.join(root, 'dist/gateway/migrations'))).toEqual(listMigrations())
  })

  it("the Dockerfile's build stage copies every file the build reads", () => {
    // A new shared folder (say, one the gateway and the board both import) must reach the image's build.
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8')
    const buildStage = dockerfile.slice(dockerfile.search(/^FROM .* AS build$/m), dockerfile.search(/^FROM .* AS runtime$/m))
    const copied = [...buildStage.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] ?? '').split(' '))
    expect(copied).toContain('scripts')
    for (const part of ['gateway', 'board']) {
      const stamp = JSON.parse(readFileSync(path.join(root, `dist/.build/${part}.json`), 'utf8')) as { inputs: string[] }
      expect(stamp.inputs.length).toBeGreaterThan(10)
      for (const input of stamp.inputs) {
        expect(copied.some((c) => input === c || input.startsWith(`${c}/`)), `${input} (${part}) is not copied into the build stage`).toBe(true)
      }
    }
  })

  it(
    'runs from a production layout without sources or build tools: /healthz answers 200 and the board is served',
    async () => {
      // What the Docker runtime stage holds: package.json, dist/gateway, dashboard/dist and the
      // production dependencies — here tsx and esbuild left out too, so a stray import of them fails.
      const app = mkdtempSync(path.join(tmpdir(), 'eg-production-'))
      try {
        cpSync(path.join(root, 'package.json'), path.join(app, 'package.json'))
        cpSync(path.join(root, 'dist/gateway'), path.join(app, 'dist/gateway'), { recursive: true })
        cpSync(path.join(root, 'dashboard/dist'), path.join(app, 'dashboard/dist'), { recursive: true })
        linkProductionModules(app)
        for (const tool of TOOLING) expect(existsSync(path.join(app, 'node_modules', tool)), tool).toBe(false)
        expect(existsSync(path.join(app, 'gateway'))).toBe(false)

        const argv = ['--enable-source-maps', 'dist/gateway/main.js']
        const child = spawn(process.execPath, argv, { cwd: app, env: gatewayEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
        children.push(child)
        const output: string[] = []
        const ready = await readyLine(child, output)
        if (process.platform === 'linux') {
          expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean)).toEqual([process.execPath, ...argv])
        }
        await expectServes(ready.httpPort, readFileSync(path.join(app, 'dashboard/dist/index.html'), 'utf8'))
        child.kill('SIGTERM')
        await new Promise((resolve) => child.once('exit', resolve))
        expect(output.join('\n')).toContain('shutting down')
      } finally {
        rmSync(app, { recursive: true, force: true })
      }
    },
    START_TIMEOUT_MS * 2,
  )

  it.skipIf(process.platform !== 'linux')(
    '`npm start` on a fresh build runs node on dist/gateway/main.js: no build, no tsx, no Vite',
    async () => {
      execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, stdio: 'pipe' })
      const child = spawn('npm', ['start', '--silent'], { cwd: root, env: gatewayEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      children.push(child)
      const output: string[] = []
      const ready = await readyLine(child, output)
      const tree = descendants(child.pid!)
      const gateways = tree.filter((p) => p.argv.includes('dist/gateway/main.js'))
      expect(gateways, JSON.stringify(tree)).toHaveLength(1)
      expect(gateways[0]?.argv.slice(1)).toEqual(['--enable-source-maps', 'dist/gateway/main.js'])
      for (const p of tree) for (const tool of TOOLING) expect(p.argv.join(' '), `${tool} running at start`).not.toMatch(new RegExp(`\\b${tool}\\b`))
      // The prestart check found the build fresh: it built nothing.
      expect(output.join('\n')).not.toMatch(/eldergate build/)
      await expectServes(ready.httpPort, readFileSync(boardIndex, 'utf8'))
      process.kill(-child.pid!, 'SIGKILL')
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)))
    },
    START_TIMEOUT_MS * 2,
  )
})

/**
 * node_modules holding symlinks to the production packages only (package-lock.json entries not
 * marked dev), minus the TypeScript tooling. Packages resolve their own dependencies from their
 * real path, as npm installed them; the bundle's imports resolve here.
 */
function linkProductionModules(app: string): void {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>
  }
  for (const [key, entry] of Object.entries(lock.packages)) {
    const name = key.startsWith('node_modules/') ? key.slice('node_modules/'.length) : ''
    if (!name || name.includes('/node_modules/') || entry.dev || entry.devOptional) continue
    if (TOOLING.includes(name) || name.startsWith('@esbuild/') || name.startsWith('@rolldown/')) continue
    const target = path.join(root, 'node_modules', name)
    if (!existsSync(target)) continue // an optional package for another platform
    mkdirSync(path.dirname(path.join(app, 'node_modules', name)), { recursive: true })
    symlinkSync(target, path.join(app, 'node_modules', name), 'dir')
  }
}
