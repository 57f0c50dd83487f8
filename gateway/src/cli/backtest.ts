/**
 * npm run backtest -- --from <time> --to <time> [--config rules.json] [--tenant <id>] [--samples N]
 *
 * Replays the stored readings of a tenant through a rule config, with no side effects, against
 * the database the gateway is configured with (DATABASE_URL, else the PGlite under EG_DATA_DIR),
 * and prints counts per rule and level plus sample findings. Without --config it uses the
 * tenant's live config.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config'
import { runBacktest } from '../detection/backtest'
import { currentRuleConfig, listTenantIds } from '../detection/engine-store'
import { configFromStored } from '../detection/tenant-engine'
import { parseRuleConfig } from '../../../rules/src/index'
import { createLogger } from '../logger'
import { openDb } from '../storage/db'
import { migrate, detectTimescale } from '../storage/migrate'

const usage = 'usage: npm run backtest -- --from <ISO time or epoch ms> --to <ISO time or epoch ms> [--config rules.json] [--tenant <id>] [--samples 10]'

function time(value: string | undefined, name: string): number {
  if (value === undefined) throw new Error(`--${name} is required\n${usage}`)
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(t)) throw new Error(`--${name}: not a time: ${value}`)
  return t
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      config: { type: 'string' },
      tenant: { type: 'string' },
      samples: { type: 'string', default: '10' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(usage)
    return
  }
  const from = time(values.from, 'from')
  const to = time(values.to, 'to')
  if (to <= from) throw new Error('--to must be after --from')
  const config = loadConfig(process.env)
  const logger = createLogger('warn')
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.EG_DATA_DIR, logger })
  try {
    await migrate(db, { timescale: await detectTimescale(db) })
    const tenantId = values.tenant ?? (await listTenantIds(db))[0]
    if (!tenantId) throw new Error('no tenant in this database yet')
    let ruleConfig
    if (values.config) {
      const parsed = parseRuleConfig(JSON.parse(readFileSync(values.config, 'utf8')))
      if (!parsed.ok) throw new Error(`invalid rule config:\n${parsed.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`)
      ruleConfig = parsed.config
    } else {
      ruleConfig = configFromStored((await currentRuleConfig(db, tenantId))?.config ?? {}, logger, tenantId)
    }
    const started = performance.now()
    const result = await runBacktest(db, tenantId, { from, to, config: ruleConfig, timeZone: config.EG_TZ, sampleLimit: Number(values.samples) })
    const seconds = (performance.now() - started) / 1000
    console.log(`backtest ${result.from} → ${result.to}: ${result.inputs} inputs, ${result.findings} findings, ${result.tooLate} too late (${seconds.toFixed(1)} s)`)
    for (const [rule, levels] of Object.entries(result.counts).sort()) {
      console.log(`  ${rule.padEnd(24)} ${Object.entries(levels).map(([level, n]) => `${level} ${n}`).join(', ')}`)
    }
    if (result.samples.length > 0) console.log('samples:')
    for (const f of result.samples) console.log(`  ${new Date(f.ts).toISOString()} ${f.level.padEnd(6)} ${f.rule.padEnd(22)} ${f.summary}`)
  } finally {
    await db.close()
  }
}

main().catch((err: unknown) => {
  console.error(`backtest: ${(err as Error).message}`)
  process.exit(1)
})
