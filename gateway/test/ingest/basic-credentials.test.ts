import { describe, expect, it } from 'vitest'
import { parseBasicCredentials } from '../../src/intake/basic-credentials'

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`

describe('HTTP Basic device credentials, read strictly', () => {
  it('reads id and secret; the secret may hold colons', () => {
    expect(parseBasicCredentials(basic('watch-1:s3cret'))).toEqual({ ok: true, deviceId: 'watch-1', secret: 's3cret' })
    expect(parseBasicCredentials(basic('watch-1:a:b:c'))).toEqual({ ok: true, deviceId: 'watch-1', secret: 'a:b:c' })
    // The scheme is case-insensitive (RFC 7235 §2.1).
    expect(parseBasicCredentials(`bAsIc ${Buffer.from('w:s').toString('base64')}`)).toMatchObject({ ok: true, deviceId: 'w', secret: 's' })
    expect(parseBasicCredentials(basic('手表:密钥'))).toEqual({ ok: true, deviceId: '手表', secret: '密钥' })
  })

  it('a missing header is "missing"; another scheme is "not_basic"', () => {
    expect(parseBasicCredentials(undefined)).toEqual({ ok: false, problem: 'missing' })
    expect(parseBasicCredentials('')).toEqual({ ok: false, problem: 'missing' })
    expect(parseBasicCredentials('Bearer abc')).toEqual({ ok: false, problem: 'not_basic' })
    expect(parseBasicCredentials('Basically abc')).toEqual({ ok: false, problem: 'not_basic' })
  })

  it.each([
    ['no token', 'Basic'],
    ['no token after the space', 'Basic '],
    ['not base64', 'Basic !!!!'],
    ['base64 without its padding', 'Basic dzpzcw'],
    ['junk inside the base64', `Basic ${Buffer.from('watch:secret').toString('base64').slice(0, 4)}*${Buffer.from('watch:secret').toString('base64').slice(4)}`],
    ['non-canonical trailing bits ("w:ss" is dzpzcw==)', 'Basic dzpzcx=='],
    ['two tokens', `Basic ${Buffer.from('w:s').toString('base64')} x`],
    ['no colon', basic('watchsecret')],
    ['an empty id', basic(':secret')],
    ['an empty secret', basic('watch:')],
    ['a control character', basic('watch:sec\nret')],
    ['invalid UTF-8', `Basic ${Buffer.from([0x77, 0x3a, 0xff, 0xfe]).toString('base64')}`],
    ['too long', basic(`watch:${'x'.repeat(2_000)}`)],
  ])('%s is malformed', (_name, header) => {
    expect(parseBasicCredentials(header)).toEqual({ ok: false, problem: 'malformed' })
  })

  it('two Authorization headers are malformed: which one counts would be a guess', () => {
    expect(parseBasicCredentials([basic('a:b'), basic('c:d')])).toEqual({ ok: false, problem: 'malformed' })
  })
})
