import pino, { type Logger } from 'pino'

/**
 * pino JSON logs. Secrets and ID numbers never reach a log line: the paths below are
 * censored wherever they appear, and callers log device ids, never payloads with secrets.
 */
export const redactPaths = [
  'password',
  'secret',
  'token',
  'authorization',
  'idNumber',
  '*.password',
  '*.secret',
  '*.token',
  '*.idNumber',
  'req.headers.authorization',
  'headers.authorization',
]

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'eldergate' } }, destination)
}

export type { Logger }
