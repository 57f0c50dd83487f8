/**
 * A small HTTP client for the gateway's operator API, used by tests, benchmarks and the
 * simulators — real HTTP, exactly as an operator's tools would call it.
 */
export class ApiClient {
  token: string | undefined
  constructor(readonly baseUrl: string) {}

  async login(username: string, password: string): Promise<void> {
    const res = await this.request<{ token: string }>('POST', '/api/v1/auth/login', { username, password })
    this.token = res.token
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const { status, json } = await this.raw(method, path, body)
    if (status >= 400) throw new Error(`${method} ${path} → ${status}: ${JSON.stringify(json)}`)
    return json as T
  }

  async raw(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = {}
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.token) headers.authorization = `Bearer ${this.token}`
    const res = await fetch(this.baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.text()
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null }
  }
}

export interface SeededDevice {
  id: string
  secret: string
  elderId: string
  kind: 'watch' | 'camera'
  /** The elder's registered home. */
  home: { lat: number; lon: number }
}

/** Elders around a town centre, each with a watch (and optionally a camera). */
export async function seedElders(
  api: ApiClient,
  count: number,
  opts: { cameras?: boolean; centre?: { lat: number; lon: number }; prefix?: string } = {},
): Promise<SeededDevice[]> {
  const centre = opts.centre ?? { lat: 31.23, lon: 121.47 }
  const devices: SeededDevice[] = []
  for (let i = 0; i < count; i++) {
    const home = { lat: centre.lat + (i % 37) * 0.002, lon: centre.lon + Math.floor(i / 37) * 0.002 }
    const elder = await api.request<{ id: string }>('POST', '/api/v1/elders', { name: `${opts.prefix ?? 'elder'}-${i}`, home: { ...home, radiusM: 100 } })
    const watch = await api.request<{ id: string; secret: string }>('POST', '/api/v1/devices', { elderId: elder.id, kind: 'watch' })
    devices.push({ id: watch.id, secret: watch.secret, elderId: elder.id, kind: 'watch', home })
    if (opts.cameras) {
      const cam = await api.request<{ id: string; secret: string }>('POST', '/api/v1/devices', { elderId: elder.id, kind: 'camera' })
      devices.push({ id: cam.id, secret: cam.secret, elderId: elder.id, kind: 'camera', home })
    }
  }
  return devices
}
