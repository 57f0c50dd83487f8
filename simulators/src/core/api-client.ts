/**
 * The operator HTTP API as the simulators call it: real HTTP with a bearer token, exactly as
 * an operator's tool would. A copy rather than an import of test/support so the simulators
 * stand alone.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message)
  }
}

export class GatewayApi {
  private token: string | undefined

  constructor(readonly baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '')
  }

  async login(username: string, password: string): Promise<void> {
    const res = await this.request<{ token: string }>('POST', '/api/v1/auth/login', { username, password })
    this.token = res.token
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {}
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.token) headers.authorization = `Bearer ${this.token}`
    let res: Response
    try {
      res = await fetch(this.baseUrl + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    } catch (err) {
      // undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is in the cause.
      const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause
      throw new Error(`cannot reach the gateway at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}`)
    }
    const text = await res.text()
    let json: unknown = null
    try {
      json = text ? (JSON.parse(text) as unknown) : null
    } catch {
      json = text
    }
    if (res.status >= 400) throw new ApiError(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`, res.status, json)
    return json as T
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body)
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path)
  }
}

/** Runs `task` over `items` with at most `limit` in flight (seeding 5,000 devices one by one is slow, all at once is a flood). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await task(items[index] as T, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
