import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../notices/signature'

/**
 * How callers prove who they are (DESIGN §4): operators and police with a bearer token; a
 * station answering a notice with the notice's own signature; an external MQTT cluster's auth
 * backend with the shared secret; a vendor cloud with the device's id and secret. Routes name
 * theirs in `schema.security` (none: login, /healthz, /metrics); the default is the bearer token.
 */
export const securitySchemes = {
  bearer: { type: 'http', scheme: 'bearer', description: 'A token from POST /api/v1/auth/login' },
  bearerQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'access_token',
    description: "The bearer token in the URL, for browsers' EventSource, which cannot send headers: GET /api/v1/stream only",
  },
  noticeSignature: {
    type: 'apiKey',
    in: 'header',
    name: SIGNATURE_HEADER,
    description:
      `\`sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>\` with \`${TIMESTAMP_HEADER}: <unix seconds>\` (within 5 minutes), ` +
      "keyed with the notice's own secret (the station's or the family contact's): the scheme the notice itself was signed with",
  },
  brokerSecret: { type: 'apiKey', in: 'header', name: 'X-Eldergate-Broker-Secret', description: 'EG_BROKER_AUTH_SECRET' },
  brokerSecretBasic: { type: 'http', scheme: 'basic', description: 'EG_BROKER_AUTH_SECRET as the HTTP Basic password (any user name)' },
  brokerSecretQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'secret',
    description: 'EG_BROKER_AUTH_SECRET in the configured URI (mosquitto-go-auth cannot send headers)',
  },
  deviceBasic: { type: 'http', scheme: 'basic', description: "HTTP Basic `<deviceId>:<secret>`: the device's own MQTT credentials" },
} as const

type SchemeName = keyof typeof securitySchemes

/** A route's `schema.security`: any one of these schemes (OpenAPI: alternatives). */
const anyOf = (...names: SchemeName[]): Array<Record<string, string[]>> => names.map((name) => ({ [name]: [] }))

/** Route `schema.security` values. */
export const security = {
  none: anyOf(),
  bearerOrQueryToken: anyOf('bearer', 'bearerQuery'),
  noticeSignature: anyOf('noticeSignature'),
  brokerSecret: anyOf('brokerSecret', 'brokerSecretBasic', 'brokerSecretQuery'),
  deviceBasic: anyOf('deviceBasic'),
}
