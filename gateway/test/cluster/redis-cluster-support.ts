import { createRequire } from 'node:module'
import { Redis } from 'ioredis'

/** The Redis the cluster tests use (CI and the dev machine run one at the default address). */
export const REDIS_URL = process.env.EG_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Whether Redis answers a PING: the cluster tests skip, saying why, when it does not. */
export async function redisAnswers(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => undefined)
  try {
    await probe.connect()
    return (await probe.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}

/** The describe title, with the reason when the suite is skipped. */
export function clusterSuite(title: string, up: boolean): string {
  return up ? title : `${title} — skipped: Redis does not answer at ${REDIS_URL}`
}

// The decoder aedes-persistence-redis stores packets with, loaded from where it loads it.
const require = createRequire(import.meta.url)
const msgpack = createRequire(require.resolve('aedes-persistence-redis'))('msgpack-lite') as { decode(stored: Buffer): { payload: Buffer | string } }

/**
 * The retained payload on `topic` as the cluster's shared persistence holds it (hash `retained`),
 * or undefined: what any node would send a new subscriber. Lets a test wait for a retained status
 * without subscribing as the device itself, which would change what it tests.
 * `redis` carries the deployment's key prefix.
 */
export async function retainedPayload(redis: Redis, topic: string): Promise<string | undefined> {
  const stored = await redis.hgetBuffer('retained', topic)
  return stored ? Buffer.from(msgpack.decode(stored).payload).toString() : undefined
}

/**
 * Deletes a test deployment's keys and disconnects. `redis` carries the `${name}:` key prefix,
 * which SCAN's pattern does not get: match the full key, delete by the relative one.
 */
export async function forgetCluster(redis: Redis, name: string): Promise<void> {
  for await (const keys of redis.scanStream({ match: `${name}:*` }) as AsyncIterable<string[]>) {
    for (const key of keys) await redis.del(key.slice(name.length + 1))
  }
  redis.disconnect()
}
