import { rm } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Page } from 'playwright-core'
import { startBoardServer } from '../test/support/board-server'
import { launchChromium } from '../test/support/browser'
import { buildDashboard } from '../test/support/build'
import { installProbe, type ProbeResult } from './page-probe'
import { createStandInApi, type StandInApi } from './stand-in-api'

/**
 * `npm run bench:board`: how fast the board shows live changes with 10,000 alerts loaded.
 * Builds the board, serves it with a stand-in API (stand-in-api.ts: real HTTP, the gateway's
 * SSE framing), signs in with headless Chromium, then pushes alert changes — new red alerts,
 * raises to red, acknowledgements — at a steady rate. The page probe (page-probe.ts) times each
 * one from SSE arrival to the DOM showing it and to the next paint. The board applies stream
 * changes in 50 ms batches (src/stream.ts), so that is the floor of every figure.
 *
 * Environment: EG_BENCH_ALERTS (10000), EG_BENCH_RATE (updates/s, 5), EG_BENCH_SECONDS (30).
 */
const ALERTS = Number(process.env.EG_BENCH_ALERTS ?? 10_000)
const RATE = Number(process.env.EG_BENCH_RATE ?? 5)
const SECONDS = Number(process.env.EG_BENCH_SECONDS ?? 30)

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

const ms = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(1))

/** Initial load: from navigation start to the board showing every alert (shown-count "… / N"). */
async function measureLoad(page: Page): Promise<number> {
  const handle = await page.waitForFunction(
    (total) => {
      const shown = document.querySelector('[data-testid="shown-count"]')?.textContent ?? ''
      return shown.endsWith(`/ ${total}`) ? performance.now() : null
    },
    ALERTS,
    { polling: 'raf', timeout: 120_000 },
  )
  return (await handle.jsonValue()) as number
}

/** Scrolls the virtual list end to end and returns the most alert rows the DOM ever held. */
async function measureScroll(page: Page): Promise<{ maxRows: number; listRows: number }> {
  const positions = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]
  let maxRows = 0
  let listRows = 0
  for (const at of positions) {
    const rows = await page.evaluate(async (fraction) => {
      const list = document.querySelector<HTMLElement>('[data-testid="alert-list"]')
      if (list === null) return { rows: 0, listRows: 0 }
      list.scrollTop = fraction * (list.scrollHeight - list.clientHeight)
      list.dispatchEvent(new Event('scroll'))
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
      return { rows: document.querySelectorAll('[data-testid="alert-row"]').length, listRows: Number(list.dataset.rows) }
    }, at)
    maxRows = Math.max(maxRows, rows.rows)
    listRows = rows.listRows
    if (rows.rows === 0) throw new Error(`no rows rendered at ${at * 100}% of the list`)
  }
  await page.evaluate(() => {
    const list = document.querySelector<HTMLElement>('[data-testid="alert-list"]')
    if (list !== null) list.scrollTop = 0
  })
  return { maxRows, listRows }
}

/** Pushes RATE changes a second for SECONDS: new red alerts, raises to red, acknowledgements. */
async function pushUpdates(api: StandInApi): Promise<number> {
  const steps = [() => api.openAlert(), () => api.raiseAlert(), () => api.openAlert(), () => api.acknowledgeTop(), () => api.raiseAlert()]
  const total = Math.round(RATE * SECONDS)
  const interval = 1_000 / RATE
  const started = performance.now()
  let sent = 0
  for (let i = 0; i < total; i++) {
    // Paced against the start, so a slow tick does not stretch the run.
    const wait = started + i * interval - performance.now()
    if (wait > 0) await sleep(wait)
    const change = steps[i % steps.length]?.()
    if (change === null || change === undefined) continue
    api.publish(change)
    sent++
  }
  return sent
}

async function main(): Promise<void> {
  const distDir = await buildDashboard()
  const api = createStandInApi({ alerts: ALERTS, elders: 2_000, now: Date.now() })
  // No gateway behind it: every /api route the board uses is answered by the stand-in.
  const board = await startBoardServer({ distDir, gatewayUrl: 'http://127.0.0.1:9', extend: (app) => api.extend(app) })
  const browser = await launchChromium()
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' })
    // tsx keeps function names with a `__name` helper that the page does not have.
    await page.addInitScript('globalThis.__name = (f) => f')
    await page.addInitScript(installProbe)
    await page.goto(board.url)
    await page.getByLabel('用户名').fill('bench')
    await page.getByLabel('密码').fill('bench-password')
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByTestId('who').waitFor()

    // The session is in sessionStorage: a reload measures a cold start with 10,000 alerts.
    await page.reload()
    const loadMs = await measureLoad(page)
    await page.getByTestId('stream-status').and(page.locator('[data-status="live"]')).waitFor()
    const scroll = await measureScroll(page)

    await page.evaluate(() => window.__egProbe?.resetLongTasks())
    const sent = await pushUpdates(api)
    // Every change either shows or is reported as never shown: wait for the probe to settle.
    const deadline = Date.now() + 10_000
    let result: ProbeResult | undefined
    for (;;) {
      result = await page.evaluate(() => window.__egProbe?.result())
      if (result === undefined) throw new Error('the page probe is missing')
      if ((result.samples.length + result.superseded >= sent && result.pending === 0) || Date.now() > deadline) break
      await sleep(100)
    }
    const domRowsAfter = await page.locator('[data-testid="alert-row"]').count()

    const paint = result.samples.map((s) => s.paintMs).sort((a, b) => a - b)
    const dom = result.samples.map((s) => s.domMs).sort((a, b) => a - b)
    const lines = [
      `board render bench: ${ALERTS} alerts, ${RATE} updates/s for ${SECONDS} s (Chromium headless, 1920×1080)`,
      `initial load (navigation → ${ALERTS} alerts on the board): ${ms(loadMs)} ms`,
      `scroll: list of ${scroll.listRows} rows, at most ${scroll.maxRows} alert rows in the DOM (after updates: ${domRowsAfter})`,
      `updates sent ${sent}, measured ${result.samples.length}, overtaken by a newer change before shown ${result.superseded}, never shown ${result.pending} ${JSON.stringify(result.pendingKinds)}`,
      `SSE → DOM   p50 ${ms(percentile(dom, 50))}  p95 ${ms(percentile(dom, 95))}  p99 ${ms(percentile(dom, 99))}  max ${ms(dom.at(-1) ?? Number.NaN)} ms`,
      `SSE → paint p50 ${ms(percentile(paint, 50))}  p95 ${ms(percentile(paint, 95))}  p99 ${ms(percentile(paint, 99))}  max ${ms(paint.at(-1) ?? Number.NaN)} ms`,
      `long tasks during updates: ${result.longTasks} (${ms(result.longTaskMs)} ms in total)`,
    ]
    console.log(lines.join('\n'))
    if (result.pending > 0) process.exitCode = 1
  } finally {
    await browser.close()
    await board.close()
    await rm(distDir, { recursive: true, force: true })
  }
}

await main()
