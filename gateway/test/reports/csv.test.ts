import { describe, expect, it } from 'vitest'
import { csvCell, toCsv } from '../../src/reports/csv'

describe('csv', () => {
  it('quotes per RFC 4180 only when needed', () => {
    expect(csvCell('黄浦区')).toBe('黄浦区')
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('two\r\nlines')).toBe('"two\r\nlines"')
    expect(csvCell(null)).toBe('')
    expect(csvCell(0)).toBe('0')
  })

  it('neutralises cells a spreadsheet would run as formulas', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${lead}SUM(A1)`), JSON.stringify(lead)).toMatch(/^"?'/)
    expect(csvCell('=1+1')).toBe("'=1+1")
    expect(csvCell('-2,3')).toBe(`"'-2,3"`)
    // Numbers are data, not user text.
    expect(csvCell(-1)).toBe('-1')
    expect(csvCell('a=b')).toBe('a=b')
  })

  it('starts with a BOM and ends every row with CRLF', () => {
    expect(toCsv(['a', 'b'], [['x', 1]])).toBe('\uFEFFa,b\r\nx,1\r\n')
    expect(toCsv(['a'], [])).toBe('\uFEFFa\r\n')
  })
})
