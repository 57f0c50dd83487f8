import { describe, expect, it } from 'vitest'
import { commandTopic, isValidDeviceId, publishChannel } from '../../../contract/topics'
import { maySubscribe } from '../../src/broker/acl'

describe('publishChannel', () => {
  it.each([
    ['eg/v1/w1/telemetry', 'telemetry'],
    ['eg/v1/w1/event', 'event'],
    ['eg/v1/w1/status', 'status'],
    ['eg/v1/w1/cmd/ack', 'cmd/ack'],
  ])('allows %s', (topic, channel) => {
    expect(publishChannel('w1', topic)).toBe(channel)
  })

  it.each([
    'eg/v1/w2/telemetry', // another device
    'eg/v1/w1/cmd', // gateway → device only
    'eg/v1/w1/telemetry/extra',
    'eg/v1/w1/',
    'eg/v1/w1',
    'eg/v1/w10/telemetry', // prefix of another id must not match
    'eg/v1/w/telemetry',
    '$SYS/broker/new/clients',
    '$SYS/w1/telemetry',
    'eg/v2/w1/telemetry',
    'other/eg/v1/w1/telemetry',
    '',
  ])('refuses %s', (topic) => {
    expect(publishChannel('w1', topic)).toBeNull()
  })
})

describe('maySubscribe', () => {
  it.each(['eg/v1/w1/cmd', 'eg/v1/w1/#', 'eg/v1/w1/+', 'eg/v1/w1/cmd/ack'])('allows %s', (filter) => {
    expect(maySubscribe('w1', filter)).toBe(true)
  })
  it.each(['#', '+/+/+/cmd', 'eg/v1/+/cmd', 'eg/v1/#', 'eg/v1/w2/cmd', 'eg/v1/w1', 'eg/v1/w10/cmd', '$share/g/eg/v1/w1/cmd', '$SYS/#'])(
    'refuses %s',
    (filter) => {
      expect(maySubscribe('w1', filter)).toBe(false)
    },
  )
})

describe('isValidDeviceId', () => {
  it('accepts plain ids', () => {
    expect(isValidDeviceId('watch-0001')).toBe(true)
    expect(isValidDeviceId('设备_7')).toBe(true)
  })
  it.each(['', 'a/b', 'a+', '#', '$SYS', 'a\u0000b', 'x'.repeat(129)])('refuses %j', (id) => {
    expect(isValidDeviceId(id)).toBe(false)
  })
})

it('commandTopic is the gateway → device channel', () => {
  expect(commandTopic('w1')).toBe('eg/v1/w1/cmd')
})
