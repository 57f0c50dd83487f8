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

/**
 * Records every Content-Security-Policy violation the browser reports on the page, installed
 * before any of the board's scripts run; the returned function reads what was recorded so far
 * in the page's current document.
 */
export async function recordCspViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = []
    Object.defineProperty(window, '__cspViolations', { value: seen })
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`))
  })
  return () => page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)
}

/** Opens the board at `url`, signs in on its login page and waits for the top bar. */
export async function signInAt(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url)
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill(password)
  await page.getByRole('button', { name: '登录' }).click()
  await page.getByTestId('who').filter({ hasText: username }).waitFor()
}
