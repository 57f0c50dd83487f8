import { parse } from 'csv-parse/sync'
import { EgError, type FieldError } from '../errors'

/**
 * An uploaded CSV file (text/csv, UTF-8, a BOM allowed) read into rows of named cells, for the
 * import routes. The first line names the columns (any order, any case); cells are trimmed and
 * an empty cell is an absent field. Problems are 400s that name the line as the operator's
 * spreadsheet numbers it (the header is line 1): `line.7.lat`.
 */
export interface CsvRow {
  /** The file line the row ends on (a quoted cell may span lines). */
  line: number
  cells: Record<string, string>
}

const linePath = (line: number, column?: string) => (column === undefined ? `line.${line}` : `line.${line}.${column}`)

function refuse(message: string, fields: FieldError[]): never {
  throw new EgError('VALIDATION_FAILED', message, { fields })
}

/** The header's columns, matched case-insensitively to `columns`; an unknown or repeated one is a 400. */
function headerColumns(header: readonly string[], columns: readonly string[]): string[] {
  const byLowerCase = new Map(columns.map((c) => [c.toLowerCase(), c]))
  const seen = new Set<string>()
  const problems: FieldError[] = []
  const named = header.map((raw) => {
    const column = byLowerCase.get(raw.toLowerCase())
    if (column === undefined) problems.push({ path: linePath(1, raw), message: `unknown column; the columns are ${columns.join(', ')}` })
    else if (seen.has(column)) problems.push({ path: linePath(1, raw), message: 'column given twice' })
    else seen.add(column)
    return column ?? raw
  })
  if (problems.length > 0) refuse('the CSV header names unknown columns', problems)
  return named
}

function parseRecords(text: string): { records: string[][]; lines: number[] } {
  const lines: number[] = []
  try {
    const records = parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      on_record: (record: string[], context) => {
        lines.push(context.lines)
        return record
      },
    })
    return { records, lines }
  } catch (err) {
    // csv-parse says where: an unclosed quote, a row with more or fewer cells than the header.
    const line = typeof (err as { lines?: unknown }).lines === 'number' ? (err as { lines: number }).lines : 1
    return refuse('the body is not a readable CSV file', [{ path: linePath(line), message: err instanceof Error ? err.message : String(err) }])
  }
}

/** The data rows of a CSV file whose header names some of `columns`; at most `maxRows`. */
export function readCsv(text: string, columns: readonly string[], maxRows: number): CsvRow[] {
  const { records, lines } = parseRecords(text)
  const [header, ...data] = records
  if (header === undefined || data.length === 0) refuse('the CSV file has no rows', [{ path: 'body', message: `a header line (${columns.join(',')}) and at least one row` }])
  if (data.length > maxRows) refuse(`at most ${maxRows} rows per import`, [{ path: 'body', message: `${data.length} rows; split the file` }])
  const named = headerColumns(header, columns)
  return data.map((record, i) => {
    const cells: Record<string, string> = {}
    record.forEach((value, c) => {
      const column = named[c]
      if (column !== undefined && value !== '') cells[column] = value
    })
    return { line: lines[i + 1] ?? i + 2, cells }
  })
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const TRUE = new Set(['true', 'yes', '1'])
const FALSE = new Set(['false', 'no', '0'])

/** A cell that reads as a number becomes one; anything else stays text for the schema to refuse by name. */
export function csvNumber(cell: string | undefined): number | string | undefined {
  return cell !== undefined && NUMBER.test(cell) ? Number(cell) : cell
}

/** true/false, yes/no, 1/0 (any case); anything else stays text for the schema to refuse. */
export function csvBoolean(cell: string | undefined): boolean | string | undefined {
  if (cell === undefined) return undefined
  const word = cell.toLowerCase()
  return TRUE.has(word) ? true : FALSE.has(word) ? false : cell
}
