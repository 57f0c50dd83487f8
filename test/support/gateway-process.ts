import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/**
 * The gateway as a real process (`gateway/src/main.ts`), for tests that must kill it with
 * SIGKILL. Ports are ephemeral; the "eldergate ready" log line says which were taken.
 */
const mainPath = fileURLToPath(new URL('../../gateway/src/main.ts', import.meta.url))

export interface GatewayProcess {
  child: ChildProcess
  httpPort: number
  mqttPort: number
  /** Set when the process was started with EG_WATCH_PORT. */
  watchPort: number | undefined
  /** What the process wrote to stderr so far (a crash's stack trace, for failure messages). */
  stderr(): string
  kill(signal?: NodeJS.Signals): Promise<void>
}

export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', mainPath], {
    // EG_WEBHOOK_ALLOW: test police stations listen on the loopback (DESIGN §4 refuses it otherwise).
    env: { ...process.env, EG_MQTT_PORT: '0', EG_HTTP_PORT: '0', EG_HOST: '127.0.0.1', EG_LOG_LEVEL: 'info', EG_WEBHOOK_ALLOW: '127.0.0.1/32,::1/128', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stderr: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ready = new Promise<{ httpPort: number; mqttPort: number; watchPort: number | undefined }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      if (!line.includes('eldergate ready')) return
      const parsed = JSON.parse(line) as { httpPort: number; mqttPort: number; watchPort?: number }
      resolve({ httpPort: parsed.httpPort, mqttPort: parsed.mqttPort, watchPort: parsed.watchPort })
    })
    void exited.then((code) => reject(new Error(`gateway exited with ${code} before it was ready: ${stderr.join('')}`)))
  })
  const ports = await ready
  return {
    child,
    ...ports,
    stderr: () => stderr.join(''),
    async kill(signal = 'SIGKILL') {
      child.kill(signal)
      await exited
    },
  }
}
