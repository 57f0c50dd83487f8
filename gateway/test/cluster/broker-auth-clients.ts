import http from 'node:http'

/**
 * The two external brokers' HTTP auth backends, as they build requests and read answers — from
 * their sources, so the tests call our endpoints exactly as each broker does and judge the
 * answer exactly as each broker would:
 *
 * - EMQX 5: apps/emqx_auth_http (emqx_auth_http_utils:generate_request, emqx_authn_http,
 *   emqx_authz_http, emqx_authz_utils:parse_http_resp_body);
 * - mosquitto-go-auth: backends/http.go (httpRequest).
 */
export interface RawResponse {
  status: number
  contentType: string
  body: string
}

/** One HTTP exchange with full control of method, headers and body (a GET may carry a body, as go-auth sends it). */
export function exchange(url: string, method: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }))
    })
    request.on('error', reject)
    request.end(body)
  })
}

// ---------------------------------------------------------------------------------------------
// EMQX 5

export interface EmqxSource {
  method: 'get' | 'post'
  /** The configured URL after the host: a path, with a query template if any. */
  url: string
  headers?: Record<string, string>
  /** The configured body template: field → `${placeholder}` or a literal. */
  body: Record<string, string>
}

/** EMQX renders `${name}` from the client's values; an unbound placeholder becomes "". */
const render = (template: string, values: Record<string, string | undefined>) => template.replace(/\$\{([a-z_.]+)\}/g, (_m, name: string) => values[name] ?? '')

/** generate_request: POST sends the body as JSON (default) or form per content-type; GET appends it to the query. */
export function emqxCall(base: string, source: EmqxSource, values: Record<string, string | undefined>): Promise<RawResponse> {
  const [path = '', query = ''] = source.url.split('?')
  const pairs: Array<[string, string]> = [...new URLSearchParams(query)].map(([k, v]) => [k, render(v, values)])
  const body = Object.entries(source.body).map(([k, v]): [string, string] => [k, render(v, values)])
  const headers: Record<string, string> = { accept: 'application/json', 'cache-control': 'no-cache', connection: 'keep-alive', ...source.headers }
  if (source.method === 'get') {
    const qs = new URLSearchParams([...pairs, ...body]).toString()
    return exchange(`${base}${path}${qs === '' ? '' : '?' + qs}`, 'GET', headers)
  }
  const contentType = headers['content-type'] ?? 'application/json'
  const serialised = contentType === 'application/x-www-form-urlencoded' ? new URLSearchParams(body).toString() : JSON.stringify(Object.fromEntries(body))
  const qs = new URLSearchParams(pairs).toString()
  return exchange(`${base}${path}${qs === '' ? '' : '?' + qs}`, 'POST', { ...headers, 'content-type': contentType }, serialised)
}

type EmqxResult = 'allow' | 'deny' | 'ignore'

function emqxResultOf(res: RawResponse): EmqxResult | 'unreadable' {
  let parsed: unknown
  try {
    if (res.contentType.startsWith('application/json')) parsed = JSON.parse(res.body)
    else if (res.contentType.startsWith('application/x-www-form-urlencoded')) parsed = Object.fromEntries(new URLSearchParams(res.body))
    else return 'unreadable'
  } catch {
    return 'unreadable'
  }
  const result = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).result : undefined
  return result === 'allow' || result === 'deny' || result === 'ignore' ? result : 'unreadable'
}

/** emqx_authn_http:authenticate — 204 allow; 200 by `result` (anything else: ignore); other statuses ignore. */
export function emqxAuthnReads(res: RawResponse): { result: EmqxResult; superuser: boolean } {
  if (res.status === 204) return { result: 'allow', superuser: false }
  if (res.status !== 200) return { result: 'ignore', superuser: false }
  const result = emqxResultOf(res)
  const superuser = result === 'allow' && (JSON.parse(res.body) as { is_superuser?: unknown }).is_superuser === true
  return { result: result === 'unreadable' ? 'ignore' : result, superuser }
}

/** The authentication chain with ours as its only (or last) authenticator: only allow connects, ignore is refused. */
export const emqxAuthnAlone = (res: RawResponse) => (emqxAuthnReads(res).result === 'allow' ? 'connected' : 'refused')

/**
 * emqx_authz_http:authorize — 204 allow; 200 by `result`; anything else "nomatch". The effective
 * answer when ours is the only authorizer and `authorization.no_match` keeps its default, allow.
 */
export function emqxAuthzEffective(res: RawResponse): 'allow' | 'deny' | 'ignore' {
  const matched = res.status === 204 ? 'allow' : res.status === 200 ? emqxResultOf(res) : 'unreadable'
  return matched === 'unreadable' ? 'ignore' : matched
}
/** With `no_match = allow` (EMQX's default) an ignore lets the client through. */
export const emqxDefaultNoMatch = (result: 'allow' | 'deny' | 'ignore') => (result === 'ignore' ? 'allow' : result)

// ---------------------------------------------------------------------------------------------
// mosquitto-go-auth

export type GoAuthParamsMode = 'json' | 'form'
export type GoAuthResponseMode = 'status' | 'json' | 'text'
export type GoAuthMethod = 'POST' | 'PUT' | 'GET'

/**
 * httpRequest: form mode is http.PostForm (always POST, form-encoded); json mode sends the JSON
 * body with the configured method — GET included — and a User-Agent, nothing else.
 */
export function goAuthCall(base: string, uri: string, mode: { params: GoAuthParamsMode; method: GoAuthMethod }, data: Record<string, string | number>): Promise<RawResponse> {
  if (mode.params === 'form') {
    const form = new URLSearchParams(Object.entries(data).map(([k, v]): [string, string] => [k, String(v)])).toString()
    return exchange(base + uri, 'POST', { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Go-http-client/1.1' }, form)
  }
  return exchange(base + uri, mode.method, { 'content-type': 'application/json', 'user-agent': 'mosquitto-2.0.18' }, JSON.stringify(data))
}

/** httpRequest's verdict: non-2xx deny; then by response mode. */
export function goAuthReads(res: RawResponse, mode: GoAuthResponseMode): 'allow' | 'deny' {
  if (res.status < 200 || res.status >= 300) return 'deny'
  if (mode === 'status') return 'allow'
  if (mode === 'text') return res.body === 'ok' ? 'allow' : 'deny'
  try {
    return (JSON.parse(res.body) as { ok?: unknown }).ok === true ? 'allow' : 'deny'
  } catch {
    return 'deny'
  }
}
