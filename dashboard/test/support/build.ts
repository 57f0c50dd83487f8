import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** The repository root (dashboard/test/support → ../../..). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * Builds the board from the current sources into a fresh temporary folder (the tests never
 * serve a stale dashboard/dist, and never overwrite the one `npm start` serves).
 */
export async function buildDashboard(): Promise<string> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'eg-dashboard-'))
  const vite = path.join(repoRoot, 'node_modules', '.bin', 'vite')
  await promisify(execFile)(vite, ['build', 'dashboard', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'production' },
  })
  return outDir
}
