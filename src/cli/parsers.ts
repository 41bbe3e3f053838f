/**
 * Option value parsers. Each throws commander's InvalidArgumentError, so a bad value is a usage
 * error (exit 2) that names the option, before any database is opened.
 */
import { InvalidArgumentError } from 'commander'
import { parseCalendarDate, ValidationError } from '../index.ts'

/** A whole number from `min` to `max`. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const text = value.trim()
    const number = Number(text)
    if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}, not "${value}".`)
    }
    return number
  }
}

const TRUE_WORDS = new Set(['1', 'true', 't', 'yes', 'y', 'on'])
const FALSE_WORDS = new Set(['0', 'false', 'f', 'no', 'n', 'off'])

/** The words click accepted for a boolean (`-o True` from Python scripts keeps working). */
export function parseBoolean(value: string): boolean {
  const word = value.trim().toLowerCase()
  if (TRUE_WORDS.has(word)) return true
  if (FALSE_WORDS.has(word)) return false
  throw new InvalidArgumentError(`Expected true or false (also yes/no, y/n, 1/0), not "${value}".`)
}

/**
 * A date or date-time: `2026-03-31` (midnight UTC), `2026-03-31T12:00:00Z`, or with an offset; a
 * date-time without a zone is read as UTC, so a cron job gives the same answer on every server. The
 * library's `parseCalendarDate` checks it is a real date: `2024-02-30` is refused, never March 1st.
 */
export function parseDate(value: string): Date {
  const text = value.trim()
  const withZone = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text
  try {
    return parseCalendarDate(withZone, 'date')
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    throw new InvalidArgumentError(`Expected a real date like 2026-03-31 or 2026-03-31T12:00:00Z, not "${value}".`)
  }
}

/** Collects a repeatable option (`--source A --source B`) into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}
