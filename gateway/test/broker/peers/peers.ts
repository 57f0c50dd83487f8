import { execFile, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Found } from '../../../../test/support/timescale-servers'

/**
 * MQTT clients nobody in this project wrote, run as child processes: Debian's mosquitto clients
 * (`mosquitto_pub`/`mosquitto_sub`, whose `-d` prints every packet with its reason code) and
 * Eclipse paho-mqtt for Python (driven by paho_driver.py, which prints what it saw as JSON).
 */

const DRIVER = fileURLToPath(new URL('./paho_driver.py', import.meta.url))

/** Whether `command` exists (mosquitto's --help exits 1: only "not found" counts as missing). */
export function findCommand(command: string, installHint: string): Found {
  try {
    execFileSync(command, ['--help'], { stdio: 'ignore' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { missing: `${command} not installed (${installHint})` }
  }
  return { url: command }
}

/** A Python with paho-mqtt: Debian's python3 first (a pyenv shim on PATH may lack Debian's packages). */
export function findPahoPython(): Found {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import paho.mqtt.client'], { stdio: 'ignore' })
      return { url: python }
    } catch {
      // try the next one
    }
  }
  return { missing: 'python3-paho-mqtt not installed (apt-get install python3-paho-mqtt)' }
}

export interface ToolRun {
  code: number | null
  /** stdout and stderr together, as a person would read them. */
  output: string
}

/** Runs a command to its end (or `timeoutMs`, then SIGKILL); never rejects on a non-zero exit. */
export function run(command: string, args: string[], timeoutMs = 15_000): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number' && err.killed !== true) {
        reject(err)
        return
      }
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null
      resolve({ code, output: stdout + stderr })
    })
  })
}

/** paho_driver.py's scenario (see its docstring); properties by paho's names. */
export interface PahoScenario {
  port: number
  clientId: string
  password: string
  cleanStart?: boolean
  connect?: Record<string, number>
  will?: { topic: string; payload: string; qos?: number; retain?: boolean; properties?: Record<string, number> }
  steps?: Array<Record<string, unknown>>
}

export type PahoEvent =
  | { event: 'connack'; sessionPresent: boolean; reason: number; properties: Record<string, number> }
  | { event: 'suback'; mid: number; reasons: number[] }
  | { event: 'message'; topic: string; size: number; payload: string; qos: number; retain: boolean }
  | { event: 'published'; mid: number }
  | { event: 'disconnect'; reason: number }
  | { event: 'dropped' | 'end' }
  | { event: 'timeout'; what: string }

export async function runPaho(python: string, scenario: PahoScenario, timeoutMs = 20_000): Promise<PahoEvent[]> {
  const full = { host: '127.0.0.1', username: scenario.clientId, ...scenario }
  const { output, code } = await run(python, [DRIVER, JSON.stringify(full)], timeoutMs)
  const events: PahoEvent[] = []
  for (const line of output.split('\n')) {
    if (line.startsWith('{')) events.push(JSON.parse(line) as PahoEvent)
    else if (line.trim() !== '') throw new Error(`paho driver (exit ${code}): ${output}`)
  }
  return events
}
