#!/usr/bin/env node
// @ts-check
/**
 * The production build: the gateway as one ES module for `node`, the operator board as static files.
 *
 *   node scripts/build.mjs              build both (npm run build)
 *   node scripts/build.mjs --prepare    the same, run by `npm ci`/`npm install` (package.json "prepare");
 *                                       skipped with a notice when the build tools are not installed
 *                                       (`npm ci --omit=dev`)
 *   node scripts/build.mjs --if-stale   build only a part whose inputs changed since it was built, or that
 *                                       is missing (npm start's prestart: a fresh build costs one stat per input)
 *   node scripts/build.mjs --check      exit 1 unless both parts are built and fresh (.ci/run)
 *   --gateway / --board                 limit any of the above to one part
 *
 * Outputs (git-ignored):
 *   dist/gateway/main.js (+ .map)        gateway/src/main.ts bundled by esbuild: our own modules, contract/ and rules/src
 *                                        inlined, every npm package left external (loaded from node_modules)
 *   dist/gateway/migrations/             the SQL migrations, read at start (storage/migrate.ts)
 *   dashboard/dist/                      the board, built by Vite (dashboard/vite.config.ts)
 *   dist/.build/{gateway,board}.json     what each part was built from, and when (the staleness check)
 *
 * Why a bundle rather than `tsc` output: our relative imports carry no `.js` suffix in most folders
 * (tsconfig's moduleResolution "Bundler"), which Node's ES module loader refuses; one bundled file
 * needs no import rewriting, loads ~230 modules with one read, and keeps every path a module reads
 * at run time valid. In the bundle `import.meta.url` is dist/gateway/main.js for every module, so:
 *   - storage/migrate.ts resolves './migrations/' → dist/gateway/migrations (copied here);
 *   - gateway.ts resolves '../../dashboard/dist' → dashboard/dist, the same folder as from
 *     gateway/src/gateway.ts, because dist/gateway/ sits exactly as deep as gateway/src/.
 * Type checking stays with `npm run typecheck` (esbuild only strips types).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const rel = (/** @type {string} */ p) => path.relative(root, p).split(path.sep).join('/')
const abs = (/** @type {string} */ p) => path.join(root, p)

const GATEWAY_ENTRY = 'gateway/src/main.ts'
const GATEWAY_OUT = 'dist/gateway/main.js'
const MIGRATIONS_SRC = 'gateway/src/storage/migrations'
const MIGRATIONS_OUT = 'dist/gateway/migrations'
const BOARD_ROOT = 'dashboard'
const BOARD_OUT = 'dashboard/dist'
const STAMPS = 'dist/.build'
/** Inputs of both parts besides their modules: a dependency or build change rebuilds. */
const COMMON_INPUTS = ['package.json', 'package-lock.json', 'scripts/build.mjs']

/** @typedef {{ builtAt: number, inputs: string[], outputs: string[] }} Stamp */

/** @type {Record<'gateway' | 'board', { outputs: string[], build: () => Promise<string[]> }>} */
const parts = {
  gateway: { outputs: [GATEWAY_OUT, `${MIGRATIONS_OUT}`], build: buildGateway },
  board: { outputs: [`${BOARD_OUT}/index.html`], build: buildBoard },
}

async function buildGateway() {
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [GATEWAY_ENTRY],
    outfile: GATEWAY_OUT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Every npm package stays an import of node_modules: native and wasm files (PGlite), packages
    // that read their own files, createRequire() in broker/cluster.ts all work as from source.
    packages: 'external',
    // Function and class names as in the source (error names, fastify plugin names, log lines),
    // even where two modules define the same name and esbuild renames one of them.
    keepNames: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  })
  // The migrations beside the bundle, exactly as in the source folder (a removed file goes too).
  rmSync(abs(MIGRATIONS_OUT), { recursive: true, force: true })
  cpSync(abs(MIGRATIONS_SRC), abs(MIGRATIONS_OUT), { recursive: true })
  const modules = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'))
  const migrations = readdirSync(abs(MIGRATIONS_SRC)).map((f) => `${MIGRATIONS_SRC}/${f}`)
  // The folder itself too: adding or removing a migration changes its mtime.
  return [...modules, MIGRATIONS_SRC, ...migrations, 'tsconfig.json']
}

async function buildBoard() {
  const vite = await import('vite')
  /** @type {Set<string>} */
  const modules = new Set()
  await vite.build({
    root: abs(BOARD_ROOT), // finds dashboard/vite.config.ts, as `vite build dashboard` does
    mode: 'production',
    logLevel: 'warn',
    plugins: [
      {
        name: 'eldergate-build-inputs',
        buildEnd() {
          for (const id of this.getModuleIds()) {
            const file = id.split('?')[0] ?? ''
            if (path.isAbsolute(file) && existsSync(file)) modules.add(rel(file))
          }
        },
      },
    ],
  })
  const own = [...modules].filter((f) => !f.startsWith('node_modules/') && !f.startsWith('..'))
  return [...own, `${BOARD_ROOT}/index.html`, `${BOARD_ROOT}/vite.config.ts`]
}

/** @returns {Stamp | undefined} */
function readStamp(/** @type {string} */ part) {
  try {
    return JSON.parse(readFileSync(abs(`${STAMPS}/${part}.json`), 'utf8'))
  } catch {
    return undefined
  }
}

/** Why this part must be (re)built, or undefined when its build is fresh. */
function staleness(/** @type {'gateway' | 'board'} */ part) {
  const stamp = readStamp(part)
  if (!stamp) return 'not built'
  for (const out of parts[part].outputs) if (!existsSync(abs(out))) return `${out} is missing`
  for (const input of [...stamp.inputs, ...COMMON_INPUTS]) {
    let mtime
    try {
      mtime = statSync(abs(input)).mtimeMs
    } catch {
      return `${input} is gone`
    }
    if (mtime > stamp.builtAt) return `${input} changed`
  }
  return undefined
}

async function build(/** @type {'gateway' | 'board'} */ part) {
  const started = Date.now()
  // No stamp while building: a build that fails half-way is stale, never "fresh".
  rmSync(abs(`${STAMPS}/${part}.json`), { force: true })
  const inputs = await parts[part].build()
  mkdirSync(abs(STAMPS), { recursive: true })
  /** @type {Stamp} */
  const stamp = { builtAt: started, inputs: [...new Set(inputs)].sort(), outputs: parts[part].outputs }
  writeFileSync(abs(`${STAMPS}/${part}.json`), `${JSON.stringify(stamp, null, 1)}\n`)
  const where = part === 'gateway' ? `${GATEWAY_OUT} (${Math.round(statSync(abs(GATEWAY_OUT)).size / 1024)} kB)` : `${BOARD_OUT}/`
  console.log(`eldergate build: ${part} → ${where} from ${stamp.inputs.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

/** esbuild and Vite are devDependencies: absent after `npm ci --omit=dev`. */
async function toolsInstalled() {
  for (const tool of ['esbuild', 'vite']) {
    try {
      await import(tool)
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ERR_MODULE_NOT_FOUND') return false
      throw err
    }
  }
  return true
}

async function main() {
  const args = new Set(process.argv.slice(2))
  const known = ['--prepare', '--if-stale', '--check', '--gateway', '--board']
  for (const a of args) if (!known.includes(a)) throw new Error(`unknown option ${a} (known: ${known.join(' ')})`)
  /** @type {Array<'gateway' | 'board'>} */
  const both = ['gateway', 'board']
  const selected = args.has('--gateway') || args.has('--board') ? both.filter((p) => args.has(`--${p}`)) : both

  if (args.has('--check')) {
    const problems = selected.map((p) => [p, staleness(p)]).filter(([, why]) => why)
    for (const [p, why] of problems) console.error(`eldergate build: ${p} is stale: ${why}`)
    if (problems.length > 0) process.exit(1)
    console.log(`eldergate build: ${selected.join(' and ')} built and fresh`)
    return
  }

  const todo = args.has('--if-stale')
    ? selected.flatMap((p) => {
        const why = staleness(p)
        return why ? [{ part: p, why }] : []
      })
    : selected.map((p) => ({ part: p, why: '' }))
  if (todo.length === 0) return

  if (!(await toolsInstalled())) {
    const missing = todo.filter(({ part }) => !parts[part].outputs.every((o) => existsSync(abs(o))))
    if (args.has('--prepare')) {
      console.warn('eldergate build: skipped — esbuild and Vite are not installed (npm ci --omit=dev). Build where the devDependencies are (npm run build) and ship dist/ and dashboard/dist/.')
      return
    }
    if (missing.length === 0 && args.has('--if-stale')) {
      // A shipped build without the tools to rebuild it: run what is there, and say so.
      for (const { part, why } of todo) {
        console.warn(`eldergate build: ${part} ${why === 'not built' ? 'has no build record' : `may be stale (${why})`}; esbuild/Vite are not installed to rebuild it, so it runs as shipped`)
      }
      return
    }
    console.error('eldergate build: esbuild and Vite are not installed — run `npm ci` (with devDependencies), then `npm run build`.')
    process.exit(1)
  }

  for (const { part, why } of todo) {
    if (why) console.log(`eldergate build: ${part} ${why === 'not built' ? 'is not built' : `is stale (${why})`}, building`)
    await build(part)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(`eldergate build failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  })
}
