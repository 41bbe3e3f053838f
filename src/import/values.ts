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

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([+-])(\d{2})(?::?(\d{2}))?)?Z?$/

/**
 * A source timestamp as a Date (UTC unless the text carries an offset), truncated to the
 * millisecond, or `'sentinel'` for a placeholder or impossible value, or null for NULL.
 */
export function readTimestamp(value: unknown): Date | null | 'sentinel' {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'sentinel' : plausible(value)
  if (typeof value !== 'string') return 'sentinel'
  const match = TIMESTAMP.exec(value.trim())
  if (!match) return 'sentinel'
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh = '0', om = '0'] = match
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3))
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms)
  const date = new Date(time)
  // Date.UTC rolls 2025-02-30 over to March: an impossible day is a sentinel, not a time.
  if (date.getUTCDate() !== Number(d) || date.getUTCMonth() !== Number(mo) - 1) return 'sentinel'
  if (sign) time -= (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000
  return plausible(new Date(time))
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
