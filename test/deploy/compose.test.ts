import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { configSchema } from '../../gateway/src/config'

/**
 * docker-compose.yml and the Dockerfile, checked offline: Debian's docker-compose validates and
 * interpolates the file without an engine (.ci/run installs it), and every variable the file
 * or the image sets must be one the image documents — a typo such as EG_RETENTON_DAYS would
 * otherwise be ignored silently in production.
 */
const root = fileURLToPath(new URL('../..', import.meta.url))
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0
const secrets = { EG_DB_PASSWORD: 'db-secret-for-test', EG_ADMIN_PASSWORD: 'admin-secret-for-test', EG_SIM_RECEIVER_SECRET: 'receiver-secret-for-test' }

interface ComposeService {
  image?: string
  build?: unknown
  environment?: Record<string, string | null>
  healthcheck?: unknown
  profiles?: string[]
  depends_on?: Record<string, { condition: string }>
}

function composeConfig(env: Record<string, string>, profile?: string): { status: number; stdout: string; stderr: string } {
  const args = [...(profile ? ['--profile', profile] : []), 'config']
  // Only PATH and the given variables: a developer's own EG_* settings must not leak in.
  const r = spawnSync('docker-compose', args, { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** The YAML docker-compose prints, as JSON (python3-yaml comes with Debian's docker-compose). */
function parseYaml(yaml: string): { services: Record<string, ComposeService> } {
  const json = execFileSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: yaml, encoding: 'utf8' })
  return JSON.parse(json) as { services: Record<string, ComposeService> }
}

const documented = new Set(Object.keys(configSchema.shape))
/** Simulator variables (simulators/README.md, README "Deployment"), set only on the sim services. */
const simVariables = new Set(['EG_ADMIN_PASSWORD', 'EG_SIM_RECEIVER_SECRET', 'EG_SIM_ELDERS'])
const readme = readFileSync(`${root}/README.md`, 'utf8')

describe.skipIf(!hasCompose && !process.env.CI)('docker-compose.yml', () => {
  it('validates with the secrets given, with and without the sim profile', () => {
    const plain = composeConfig(secrets)
    expect(plain.stderr).not.toMatch(/error|invalid/i)
    expect(plain.status).toBe(0)
    const services = parseYaml(plain.stdout).services
    expect(Object.keys(services).sort()).toEqual(['gateway', 'police', 'timescaledb', 'town'])
    // The simulated town and receiver start only with `--profile sim`.
    expect(services.police?.profiles).toEqual(['sim'])
    expect(services.town?.profiles).toEqual(['sim'])
    expect(services.gateway?.profiles).toBeUndefined()
    expect(composeConfig(secrets, 'sim').status).toBe(0)
  })

  it('refuses to render without each password: no known default secret ever ships', () => {
    for (const missing of ['EG_DB_PASSWORD', 'EG_ADMIN_PASSWORD'] as const) {
      const { [missing]: _dropped, ...rest } = secrets
      const r = composeConfig(rest)
      expect(r.status, missing).not.toBe(0)
      expect(r.stderr).toContain(`set ${missing}`)
    }
    // The receiver's secret is only for the sim profile; its services refuse to start without it.
    const { EG_SIM_RECEIVER_SECRET: _dropped, ...withoutReceiver } = secrets
    expect(composeConfig(withoutReceiver).status).toBe(0)
    const town = parseYaml(composeConfig(withoutReceiver).stdout).services.town as { command?: string[] }
    expect(town.command?.join(' ')).toContain('EG_SIM_RECEIVER_SECRET:?')
  })

  it('uses the official TimescaleDB image on a persistent volume, and the gateway waits for it', () => {
    const { services } = parseYaml(composeConfig(secrets).stdout)
    expect(services.timescaledb?.image).toMatch(/^timescale\/timescaledb:/)
    expect(services.timescaledb?.healthcheck).toBeDefined()
    expect(services.gateway?.depends_on?.timescaledb?.condition).toBe('service_healthy')
    expect(services.gateway?.environment?.DATABASE_URL).toMatch(/^postgres:\/\/eldergate:db-secret-for-test@timescaledb:5432\/eldergate$/)
    const raw = readFileSync(`${root}/docker-compose.yml`, 'utf8')
    expect(raw).toMatch(/eg-db:\/var\/lib\/postgresql\/data/)
  })

  it('sets on the gateway only variables the gateway reads and the README documents', () => {
    const { services } = parseYaml(composeConfig(secrets, 'sim').stdout)
    const gatewayVars = Object.keys(services.gateway?.environment ?? {})
    expect(gatewayVars.length).toBeGreaterThan(3)
    for (const name of gatewayVars) {
      expect(documented.has(name), `${name} is not in gateway/src/config.ts`).toBe(true)
      expect(readme, `${name} is not in the README`).toContain(name)
    }
    for (const service of ['police', 'town']) {
      for (const name of Object.keys(services[service]?.environment ?? {})) {
        expect(simVariables.has(name) || documented.has(name), `${service}: ${name}`).toBe(true)
        expect(readme, `${name} is not in the README`).toContain(name)
      }
    }
  })
})

describe('Dockerfile', () => {
  const dockerfile = readFileSync(`${root}/Dockerfile`, 'utf8')
  const runtimeAt = dockerfile.search(/^FROM .* AS runtime$/m)
  const buildStage = dockerfile.slice(dockerfile.search(/^FROM .* AS build$/m), runtimeAt)
  const runtimeStage = dockerfile.slice(runtimeAt)

  it('is multi-stage, runs as a non-root user and has a health check', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2)
    expect(dockerfile).toMatch(/^USER node$/m)
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m)
    expect(dockerfile).toMatch(/npm ci --omit=dev/)
  })

  it('sets only documented variables and bakes in no secret', () => {
    const envBlock = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile)?.[1] ?? ''
    const names = [...envBlock.matchAll(/([A-Z_]+)=/g)].map((m) => m[1] ?? '')
    expect(names).toContain('EG_HTTP_PORT')
    for (const name of names.filter((n) => n !== 'NODE_ENV')) expect(documented.has(name), name).toBe(true)
    expect(dockerfile).not.toMatch(/PASSWORD|SECRET|DATABASE_URL=/)
  })

  it('copies the simulators and what they import (the sim profile runs them from this image)', () => {
    for (const dir of ['contract', 'gateway/src', 'rules/src', 'simulators/src', 'simulators/scenarios']) {
      expect(runtimeStage).toContain(`COPY ${dir} ./${dir}`)
      expect(existsSync(`${root}/${dir}`)).toBe(true)
    }
  })

  it('builds with the build `npm ci` runs, and runs node on the compiled gateway: no tsx, no Vite', () => {
    const scripts = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts
    expect(scripts.build).toBe('node scripts/build.mjs')
    expect(scripts.prepare).toMatch(/^node scripts\/build\.mjs\b/)
    // Build stage: the sources the build reads, then `npm run build`.
    expect(buildStage).toMatch(/^RUN npm run build$/m)
    for (const dir of ['scripts', 'contract', 'gateway/src', 'rules/src', 'dashboard']) expect(buildStage).toContain(`COPY ${dir} ./${dir}`)
    // Runtime stage: production dependencies, no install-time build (no sources or build tools there).
    expect(runtimeStage).toMatch(/^RUN npm ci --omit=dev --ignore-scripts\b/m)
    expect(runtimeStage).toContain('COPY --from=build /app/dist/gateway ./dist/gateway')
    expect(runtimeStage).toContain('COPY --from=build /app/dashboard/dist ./dashboard/dist')
    expect(runtimeStage).toMatch(/^WORKDIR \/app$/m)
    // The bundle resolves ../../dashboard/dist from dist/gateway/ (scripts/build.mjs); the ENV says the same.
    expect(runtimeStage).toMatch(/EG_DASHBOARD_DIR=\/app\/dashboard\/dist\b/)
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtimeStage)?.[1] ?? '[]') as string[]
    expect(cmd[0]).toBe('node')
    expect(cmd.at(-1)).toBe('dist/gateway/main.js')
    expect(cmd.join(' ')).not.toMatch(/tsx|vite|\.ts\b/)
    // And `npm start` runs the same file.
    expect(scripts.start).toBe(cmd.join(' '))
  })
})
