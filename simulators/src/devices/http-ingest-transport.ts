import { setMaxListeners } from 'node:events'
import { Agent, request, type Dispatcher } from 'undici'
import { hasSecret, leafOf, type Connector, type LinkTransport, type SecretCredentials } from './transport'

/**
 * A device behind a vendor's cloud, which forwards what the device sends by HTTP ingest
 * (DESIGN §3c): each publish is one `POST /api/v1/ingest/<deviceId>/<channel>` with HTTP Basic
 * `deviceId:secret` and the MQTT payload as the body, resolved on 202 — the gateway answers 202
 * only once the message is durable, so this is a QoS 1 publish and its PUBACK. Any other answer
 * is a publish error (a 400 is a refused payload, as an MQTT 5 reason code says), and DeviceLink
 * keeps the message for its next upload as it does after a failed MQTT publish.
 *
 * No commands come back: the gateway has no channel to a vendor's cloud, so onCommand is never
 * called and such a device gets no voice prompts. There is no connection either: connecting
 * checks nothing, and drop() cancels what is in flight (the link is "down" until the next
 * connect) — the gateway has no will to publish, as it never knew a connection.
 */
export interface HttpIngestOptions {
  /** How long a POST may take before it counts as failed (the gateway's own durability wait is 20 s). */
  timeoutMs?: number
}

/** The gateway's answer to a POST that was not 202, with its reasons (the `details` of a 400). */
export class IngestRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    channel: string,
  ) {
    super(`HTTP ingest ${channel} → ${status}: ${body.slice(0, 300)}`)
  }
}

export function httpIngestConnector(baseUrl: string, opts: HttpIngestOptions = {}): Connector {
  const base = baseUrl.replace(/\/+$/, '')
  // One keep-alive pool for all the devices of a run, as a vendor cloud forwards them over a
  // few connections; undici's request() rather than fetch(): a town posts thousands a second.
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 })
  return async (device) => {
    if (!hasSecret(device)) throw new Error(`device ${device.id} speaks the watch protocol: it has no secret for HTTP ingest`)
    return new HttpIngestTransport(base, device, agent, opts.timeoutMs ?? 30_000)
  }
}

class HttpIngestTransport implements LinkTransport {
  private readonly abort = new AbortController()
  private readonly authorization: string
  private down = false

  constructor(
    private readonly base: string,
    private readonly device: SecretCredentials,
    private readonly agent: Dispatcher,
    private readonly timeoutMs: number,
  ) {
    this.authorization = `Basic ${Buffer.from(`${device.id}:${device.secret}`).toString('base64')}`
    // Every POST in flight listens for drop(): a flush of kept messages is many at once.
    setMaxListeners(0, this.abort.signal)
  }

  async publish(topic: string, payload: string): Promise<void> {
    if (this.down) throw new Error('not connected')
    // `cmd/ack` spans two levels of the topic, and so two segments of the path.
    const channel = leafOf(this.device.id, topic)
    const res = await request(`${this.base}/api/v1/ingest/${encodeURIComponent(this.device.id)}/${channel}`, {
      method: 'POST',
      dispatcher: this.agent,
      headers: {
        authorization: this.authorization,
        // `online` / `offline` is bare text; every other payload is JSON.
        'content-type': channel === 'status' ? 'text/plain' : 'application/json',
      },
      body: payload,
      signal: this.abort.signal,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    })
    const body = await res.body.text()
    if (res.statusCode !== 202) throw new IngestRefused(res.statusCode, body, channel)
  }

  /** HTTP has no connection to lose: a failed POST is that publish's error, nothing more. */
  onLost(): void {}

  drop(): void {
    this.down = true
    this.abort.abort(new Error('link dropped'))
  }

  /** A clean leave: POSTs in flight finish (DeviceLink has already waited for them). */
  async end(): Promise<void> {
    this.down = true
  }
}
