/**
 * CSV for spreadsheets (issue 6): RFC 4180 (CRLF rows, fields with a comma, quote or line
 * break quoted, quotes doubled), a UTF-8 byte-order mark so Excel reads Chinese as UTF-8
 * rather than the local ANSI code page, and formula injection neutralised: a text cell
 * starting with = + - @ (or a tab or carriage return, which some spreadsheets skip before
 * reading a formula) is prefixed with an apostrophe so it is shown, never evaluated.
 */
export type CsvCell = string | number | null

const BOM = '\uFEFF'
const FORMULA_START = /^[=+\-@\t\r]/
const NEEDS_QUOTES = /[",\r\n]/

export function csvCell(value: CsvCell): string {
  if (value === null) return ''
  // Numbers come from the database, not from users: -1 stays a number.
  if (typeof value === 'number') return String(value)
  const text = FORMULA_START.test(value) ? `'${value}` : value
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>): string {
  return BOM + [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
}
