/**
 * The one error catalogue (DESIGN §6: "errors carry a stable code").
 * Every error the gateway raises on purpose is an EgError with a code from this table,
 * so logs, HTTP responses and metrics speak the same words.
 */
export const errorCatalogue = {
  CONFIG_INVALID: { status: 500, message: 'invalid configuration' },
  PORT_IN_USE: { status: 500, message: 'port already in use' },
  VALIDATION_FAILED: { status: 400, message: 'request validation failed' },
  UNAUTHENTICATED: { status: 401, message: 'missing or invalid bearer token' },
  BAD_CREDENTIALS: { status: 401, message: 'wrong username or password' },
  FORBIDDEN: { status: 403, message: 'your role may not do this' },
  NOT_FOUND: { status: 404, message: 'not found' },
  CONFLICT: { status: 409, message: 'already exists' },
  CANDIDATE_NOT_OPEN: { status: 409, message: 'venue candidate already promoted or dismissed' },
  PARKED_FINDING_NOT_OPEN: { status: 409, message: 'parked finding already retried or dismissed' },
  FINDING_STILL_FAILING: { status: 409, message: 'the parked finding still cannot be stored' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'too many failed attempts; try later' },
  // HTTP ingest (intake/http-ingest-routes.ts): vendor clouds forwarding device messages.
  BAD_DEVICE_CREDENTIALS: { status: 401, message: 'missing or wrong device credentials (HTTP Basic deviceId:secret)' },
  DEVICE_MISMATCH: { status: 403, message: 'these credentials belong to another device than the path names' },
  PAYLOAD_REFUSED: { status: 400, message: 'payload refused: nothing in it was stored' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'payload over the size limit' },
  STORAGE_UNAVAILABLE: { status: 503, message: 'storage unavailable' },
  BROKER_UNAVAILABLE: { status: 503, message: 'external MQTT cluster unreachable' },
  MIGRATION_FAILED: { status: 500, message: 'database migration failed' },
  INTERNAL: { status: 500, message: 'internal error' },
} as const

export type ErrorCode = keyof typeof errorCatalogue

export interface FieldError {
  path: string
  message: string
}

export class EgError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly fields: FieldError[] | undefined

  constructor(code: ErrorCode, message?: string, opts: { fields?: FieldError[]; cause?: unknown } = {}) {
    super(message ?? errorCatalogue[code].message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'EgError'
    this.code = code
    this.status = errorCatalogue[code].status
    this.fields = opts.fields
  }
}

export function isEgError(err: unknown): err is EgError {
  return err instanceof EgError
}
