import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { WATCH, connectDevice, deviceOptions, endClient, refusedConnackCode, startTestBroker, waitFor, type TestBroker } from './helpers'

let dir: string
let t: TestBroker

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eg-tls-'))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })
  t = await startTestBroker({ tls: { cert, key } })
})
afterAll(async () => {
  await t.broker.close()
  rmSync(dir, { recursive: true, force: true })
})

it.each([4, 5] as const)('an mqtts:// device (protocol level %i) connects and publishes', async (protocolVersion) => {
  expect(t.url.startsWith('mqtts://')).toBe(true)
  const client = await connectDevice(t.url, deviceOptions(WATCH, { protocolVersion, rejectUnauthorized: false }))
  await client.publishAsync('eg/v1/watch-1/telemetry', `{"ts":${protocolVersion}}`, { qos: 1 })
  await waitFor(() => t.received.some((m) => m.payload === `{"ts":${protocolVersion}}`), 'the TLS message')
  await endClient(client)
})

it('identity rules apply over TLS too', async () => {
  expect(await refusedConnackCode(t.url, deviceOptions(WATCH, { password: 'nope', rejectUnauthorized: false }))).toBe(5)
})
