/**
 * Which gateway routes exist yet (issue 4 lands in parallel): the board degrades without them,
 * and the tests that need one say so and skip instead of failing on someone else's gap.
 */
export async function routeStatus(baseUrl: string, path: string, token: string | undefined): Promise<number> {
  const controller = new AbortController()
  try {
    const res = await fetch(baseUrl + path, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: controller.signal })
    return res.status
  } catch {
    return 0
  } finally {
    // The stream never ends by itself: stop reading once the status is known.
    controller.abort()
  }
}

export interface GatewayFeatures {
  alerts: boolean
  lifecycle: boolean
  stream: boolean
  voice: boolean
  notices: boolean
}

export async function probeFeatures(baseUrl: string, token: string | undefined): Promise<GatewayFeatures> {
  const exists = async (method: string, path: string) => {
    const res = await fetch(baseUrl + path, { method, headers: { authorization: `Bearer ${token ?? ''}`, 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : null })
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null
    return !(res.status === 404 && (body?.error?.message ?? '').startsWith('no route'))
  }
  return {
    alerts: await exists('GET', '/api/v1/alerts'),
    lifecycle: await exists('POST', '/api/v1/alerts/none/ack'),
    stream: (await routeStatus(baseUrl, '/api/v1/stream', token)) === 200,
    voice: await exists('GET', '/api/v1/voice-prompts'),
    notices: await exists('GET', '/api/v1/notices'),
  }
}
