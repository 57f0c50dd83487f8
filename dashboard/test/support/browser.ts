import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { repoRoot } from './build'

/**
 * Real headless Chromium (Debian's package; `.ci/run` installs it), driven by playwright-core.
 * Never `npx playwright install`: no browser downloads.
 */
export const CHROMIUM = process.env.EG_CHROMIUM ?? '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'],
  })
}

export const artifactsDir = path.join(repoRoot, 'test-artifacts', 'dashboard')

/** Screenshots for people to look at (test-artifacts/ is gitignored). */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  await mkdir(artifactsDir, { recursive: true })
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: opts.fullPage ?? false })
}
