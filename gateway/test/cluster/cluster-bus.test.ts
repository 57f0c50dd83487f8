import mqemitter from 'mqemitter'
import { describe, expect, it } from 'vitest'
import { createSplitBus, isNodeLocalTopic } from '../../src/broker/cluster-bus'

/**
 * The clustered bus's routing. Two plain emitters stand in for "this node" and "through Redis"
 * (the Redis side itself is exercised end to end in redis-cluster*.test.ts): what matters here
 * is which one each topic takes, and that a listener hears both.
 */
const emitted = (emitter: mqemitter.MQEmitter) => {
  const topics: string[] = []
  const emit = emitter.emit.bind(emitter)
  emitter.emit = (message, cb) => {
    topics.push(message.topic)
    emit(message, cb)
  }
  return topics
}

describe('clustered message bus', () => {
  it('keeps device readings, events and command acks on the node, and sends everything else through the cluster', () => {
    for (const topic of ['eg/v1/w-1/telemetry', 'eg/v1/w-1/event', 'eg/v1/cam.2/cmd/ack']) expect(isNodeLocalTopic(topic), topic).toBe(true)
    for (const topic of ['eg/v1/w-1/cmd', 'eg/v1/w-1/status', '$SYS/node/new/clients', '$SYS/node/heartbeat', 'eg/v1/w-1/telemetry/extra', 'eg/v1/+/telemetry', 'other/topic']) {
      expect(isNodeLocalTopic(topic), topic).toBe(false)
    }
  })

  it('routes each emit to one side and delivers both sides to every listener', async () => {
    const local = mqemitter({ concurrency: 0, matchEmptyLevels: true })
    const shared = mqemitter({ concurrency: 0, matchEmptyLevels: true })
    const localTopics = emitted(local)
    const sharedTopics = emitted(shared)
    const bus = createSplitBus(local, shared)
    const heard: string[] = []
    const listener = (message: { topic: string }, done: () => void) => {
      heard.push(message.topic)
      done()
    }
    await new Promise<void>((resolve) => bus.on('eg/v1/w-1/#', listener, resolve))
    for (const topic of ['eg/v1/w-1/telemetry', 'eg/v1/w-1/cmd', 'eg/v1/w-1/cmd/ack']) {
      await new Promise<void>((resolve) => bus.emit({ topic, payload: Buffer.from('{}') }, () => resolve()))
    }
    expect(localTopics).toEqual(['eg/v1/w-1/telemetry', 'eg/v1/w-1/cmd/ack'])
    expect(sharedTopics).toEqual(['eg/v1/w-1/cmd'])
    expect(heard).toEqual(['eg/v1/w-1/telemetry', 'eg/v1/w-1/cmd', 'eg/v1/w-1/cmd/ack'])

    await new Promise<void>((resolve) => bus.removeListener('eg/v1/w-1/#', listener, resolve))
    await new Promise<void>((resolve) => bus.emit({ topic: 'eg/v1/w-1/cmd', payload: Buffer.from('{}') }, () => resolve()))
    expect(heard).toHaveLength(3)
    // Closing the bus closes both sides: neither delivers any more.
    await new Promise<void>((resolve) => bus.close(resolve))
    const closed = (emitter: mqemitter.MQEmitter) => (emitter as unknown as { closed: boolean }).closed
    expect([closed(local), closed(shared)]).toEqual([true, true])
  })
})
