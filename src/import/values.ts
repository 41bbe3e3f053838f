/**
 * Turning a Python row's values into what the processtracker columns hold: numbers, booleans,
 * trimmed fixed-width text, and timestamps read as UTC with the sentinels the Python implementation
 * wrote (1900-01-01 for "never", MySQL zero dates) recognised.
 */
import type { ColumnSpec } from '../store/migrations/table-spec.ts'

/** Before this, a timestamp in a tracker is a placeholder, not a time something happened. */
const EARLIEST = Date.UTC(1971, 0, 1)
/** After this it cannot have happened either (and MySQL's datetime ends at 9999). */
const LATEST = Date.UTC(9000, 0, 1)

const ZERO = 48

/** The number in `text` from `start` to `end` (digits only), or NaN. */
function digits(text: string, start: number, end: number): number {
  let value = 0
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - ZERO
    if (digit < 0 || digit > 9) return Number.NaN
    value = value * 10 + digit
  }
  return value
}

/**
 * A source timestamp as a Date (UTC unless the text carries an offset), truncated to the
 * millisecond, or `'sentinel'` for a placeholder or impossible value, or null for NULL.
 * Hand-parsed: a million-run import reads millions of these, and a regex per value showed up first
 * in the profile.
 */
export function readTimestamp(value: unknown): Date | null | 'sentinel' {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'sentinel' : plausible(value)
  if (typeof value !== 'string') return 'sentinel'
  const text = value.trim()
  // YYYY-MM-DD HH:MM:SS[.fraction][Z|±HH[:MM]]
  if (
    text.length < 19 ||
    text[4] !== '-' ||
    text[7] !== '-' ||
    (text[10] !== ' ' && text[10] !== 'T') ||
    text[13] !== ':' ||
    text[16] !== ':'
  ) {
    return 'sentinel'
  }
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 7)
  const day = digits(text, 8, 10)
  const hour = digits(text, 11, 13)
  const minute = digits(text, 14, 16)
  const second = digits(text, 17, 19)
  let i = 19
  let ms = 0
  if (text[i] === '.') {
    i += 1
    const from = i
    while (i < text.length && text.charCodeAt(i) >= ZERO && text.charCodeAt(i) <= ZERO + 9) i += 1
    const fraction = text.slice(from, Math.min(i, from + 3)).padEnd(3, '0')
    ms = digits(fraction, 0, 3)
  }
  let offsetMinutes = 0
  const sign = text[i]
  if (sign === '+' || sign === '-') {
    const rest = text.slice(i + 1).replace(':', '')
    if (!/^\d{2}(\d{2})?$/.test(rest)) return 'sentinel'
    offsetMinutes = (sign === '-' ? -1 : 1) * (digits(rest, 0, 2) * 60 + (rest.length === 4 ? digits(rest, 2, 4) : 0))
  } else if (i < text.length && !(sign === 'Z' && i === text.length - 1)) {
    return 'sentinel'
  }
  if (
    Number.isNaN(year + month + day + hour + minute + second + ms) ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return 'sentinel'
  }
  const time = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  // Date.UTC rolls 2025-02-30 over to March: an impossible day is a sentinel, not a time.
  if (day > 28 && new Date(time).getUTCDate() !== day) return 'sentinel'
  return plausible(new Date(time - offsetMinutes * 60_000))
}

function plausible(date: Date): Date | 'sentinel' {
  const time = date.getTime()
  return time < EARLIEST || time >= LATEST ? 'sentinel' : date
}

/** A non-timestamp value converted to the column's kind. */
export function convertValue(column: ColumnSpec, value: unknown, padded: boolean): unknown {
  if (value === null || value === undefined) {
    if (column.kind === 'bool') return column.default ?? false
    return null
  }
  switch (column.kind) {
    case 'id':
    case 'int':
    case 'bigint':
    case 'decimal':
      return typeof value === 'number' ? value : Number(value)
    case 'bool':
      return typeof value === 'boolean' ? value : value === 't' || Number(value) !== 0
    case 'str': {
      const text = typeof value === 'string' ? value : typeof value === 'number' ? value.toString() : JSON.stringify(value)
      return padded ? text.trimEnd() : text
    }
    case 'timestamp':
      throw new TypeError('timestamps are read with readTimestamp')
  }
}
