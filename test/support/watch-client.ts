import net from 'node:net'
import type { ApiClient } from './api-client'

/**
 * A 4G watch as the gateway meets it on the watch port (DESIGN §3b): a raw TCP socket writing
 * protocol frames. Answers are parsed here with a regular expression of their own, not with the
 * gateway's codec, so a codec bug cannot hide itself in the tests.
 */
export interface Answer {
  maker: string
  id: string
  length: string
  content: string
}

const ANSWER = /\[([0-9A-Za-z]{2})\*([0-9]+)\*([0-9A-Fa-f]{4})\*([^\]]*)\]/g

/** `[MF*ID*LLLL*CONTENT]` with LLLL the content's byte length, as a watch writes it. */
export function frame(id: string, content: string, maker = '3G'): Buffer {
  const body = Buffer.from(content)
  return Buffer.concat([Buffer.from(`[${maker}*${id}*${body.length.toString(16).toUpperCase().padStart(4, '0')}*`), body, Buffer.from(']')])
}

/** `DDMMYY,HHMMSS` of a UTC instant shifted by the watch's clock offset (its local time). */
export function watchClock(ts: number, offsetMinutes = 0): string {
  const d = new Date(ts + offsetMinutes * 60_000)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getUTCDate())}${two(d.getUTCMonth() + 1)}${two(d.getUTCFullYear() % 100)},${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`
}

/** A UD/UD2/AL content: a valid fix at (lat, lon), battery, steps and the status bits. */
export function fixContent(cmd: 'UD' | 'UD2' | 'AL', ts: number, p: { lat: number; lon: number; battery?: number; steps?: number; status?: number; offsetMinutes?: number }): string {
  const lat = `${Math.abs(p.lat).toFixed(6)},${p.lat >= 0 ? 'N' : 'S'}`
  const lon = `${Math.abs(p.lon).toFixed(6)},${p.lon >= 0 ? 'E' : 'W'}`
  const status = (p.status ?? 0).toString(16).toUpperCase().padStart(8, '0')
  return `${cmd},${watchClock(ts, p.offsetMinutes)},A,${lat},${lon},0.00,0.0,50,8,100,${p.battery ?? 80},${p.steps ?? 1000},0,${status},4,1,460,0,9360,4082,131`
}

export class WatchClient {
  readonly answers: Answer[] = []
  private text = ''
  private waiters: Array<() => void> = []
  readonly closed: Promise<void>
  private isClosed = false

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1')
      let m: RegExpExecArray | null
      let consumed = 0
      ANSWER.lastIndex = 0
      while ((m = ANSWER.exec(this.text)) !== null) {
        this.answers.push({ maker: m[1]!, id: m[2]!, length: m[3]!, content: m[4]! })
        consumed = ANSWER.lastIndex
      }
      this.text = this.text.slice(consumed)
      this.wake()
    })
    socket.on('error', () => undefined)
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true
        this.wake()
        resolve()
      }),
    )
  }

  static async connect(port: number): Promise<WatchClient> {
    const socket = net.connect({ port, host: '127.0.0.1' })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('error', reject)
    })
    socket.setNoDelay(true)
    return new WatchClient(socket)
  }

  get isOpen(): boolean {
    return !this.isClosed
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes)
  }

  /** Resolves with the n-th answer (1-based) whose content is `content` or starts with `content,`; rejects if the socket closes first. */
  answer(content: string, n = 1, timeoutMs = 20_000): Promise<Answer> {
    return this.answerWhere((a) => a.content === content || a.content.startsWith(`${content},`), `${content} #${n}`, n, timeoutMs)
  }

  /** Resolves with the n-th answer that satisfies `matches`. */
  async answerWhere(matches: (a: Answer) => boolean, what: string, n = 1, timeoutMs = 20_000): Promise<Answer> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.answers.filter(matches)
      if (found.length >= n) return found[n - 1]!
      if (this.isClosed) throw new Error(`connection closed before answer ${what}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no answer ${what} within ${timeoutMs} ms (got ${this.answers.map((a) => a.content).join(' ')})`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  end(): void {
    this.socket.destroy()
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }
}

/** The MESSAGE content a voice prompt becomes (DESIGN §3b): the text as UTF-16BE, hex. */
export function messageContent(text: string): string {
  return `MESSAGE,${Buffer.from(text, 'utf16le').swap16().toString('hex').toUpperCase()}`
}

/** Registers a watch-protocol device for an elder (DESIGN §3b) and returns its id. */
export async function registerWatch(api: ApiClient, elderId: string, imei: string, clockOffsetMinutes?: number): Promise<{ id: string; imei: string; protocol: string } & Record<string, unknown>> {
  return api.request('POST', '/api/v1/devices', { elderId, kind: 'watch', protocol: 'watch', imei, ...(clockOffsetMinutes === undefined ? {} : { clockOffsetMinutes }) })
}
