import { ValidationError } from '../errors.ts'

/**
 * Input checks, run before anything is written. Names are 1–250 code points with no leading or
 * trailing whitespace; they are stored and compared exactly (no trimming, no normalisation).
 */
export function checkName(value: unknown, what: string, max = 250): string {
  if (typeof value !== 'string') {
    throw new ValidationError(`${what} must be a string, not ${describe(value)}.`, { field: what })
  }
  const length = codePointLength(value)
  if (length < 1 || length > max) {
    throw new ValidationError(`${what} must be 1 to ${max} characters long; it has ${length}.`, { field: what })
  }
  if (value.trim() !== value) {
    throw new ValidationError(`${what} must not start or end with whitespace: ${JSON.stringify(value)}.`, { field: what })
  }
  // A newline or tab in a name breaks every table and log line that shows it.
  if (CONTROL_CHARACTER.test(value)) {
    throw new ValidationError(`${what} must not contain control characters (newline, tab, …): ${JSON.stringify(value)}.`, { field: what })
  }
  return value
}

/** C0 and C1 control characters (and DEL): Unicode category Cc. */
const CONTROL_CHARACTER = /\p{Cc}/u

export function checkOptionalName(value: unknown, what: string, max = 250): string | undefined {
  return value === undefined ? undefined : checkName(value, what, max)
}

/** A name or a list of names (`'a'` or `['a', 'b']`), deduplicated, in the given order. */
export function checkNameList(value: unknown, what: string): string[] {
  if (value === undefined) return []
  const list: unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : [value]
  if (typeof value !== 'string' && !Array.isArray(value)) {
    throw new ValidationError(`${what} must be a name or a list of names, not ${describe(value)}.`, { field: what })
  }
  return [...new Set(list.map((item, i) => checkName(item, `${what}[${i}]`)))]
}

/** `{ source: [object, …] }`. */
export function checkObjectMap(value: unknown, what: string): Map<string, string[]> {
  const record = checkPlainObject(value, what)
  const result = new Map<string, string[]>()
  for (const [key, objects] of Object.entries(record)) {
    checkName(key, `${what} key`)
    if (!Array.isArray(objects)) {
      throw new ValidationError(`${what}[${JSON.stringify(key)}] must be a list of object names, not ${describe(objects)}.`, {
        field: what,
      })
    }
    result.set(key, checkNameList(objects, `${what}[${JSON.stringify(key)}]`))
  }
  return result
}

/** `{ source: { object: [attribute, …] } }`. */
export function checkAttributeMap(value: unknown, what: string): Map<string, Map<string, string[]>> {
  const record = checkPlainObject(value, what)
  const result = new Map<string, Map<string, string[]>>()
  for (const [key, objects] of Object.entries(record)) {
    checkName(key, `${what} key`)
    result.set(key, checkObjectMap(objects, `${what}[${JSON.stringify(key)}]`))
  }
  return result
}

export function checkPlainObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(`${what} must be an object, not ${describe(value)}.`, { field: what })
  }
  return value as Record<string, unknown>
}

export function checkDate(value: unknown, what: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError(`${what} must be a valid Date, not ${describe(value)}.`, { field: what })
  }
  return value
}

/**
 * A date given as text (CLI, HTTP, ini file): `YYYY-MM-DD` (UTC midnight) or an ISO 8601 date-time
 * with `Z` or an offset (`2024-06-01T12:30:00.5+02:00`). The date must exist on the calendar:
 * `2024-02-30` is refused rather than rolled over to March, as `new Date()` would.
 *
 * @throws ValidationError naming `field`.
 */
export function parseCalendarDate(text: string, field: string): Date {
  const match = typeof text === 'string' ? CALENDAR_DATE.exec(text) : null
  const refuse = () =>
    new ValidationError(
      `${field} must be a date as YYYY-MM-DD or an ISO 8601 date-time with Z or an offset (2024-06-01T12:30:00Z), not ${describe(text)}.`,
      { field },
    )
  if (!match) throw refuse()
  const [, y, mo, d, h, mi, s, fraction, zone] = match
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h ?? 0)
  const minute = Number(mi ?? 0)
  const second = Number(s ?? 0)
  const millis = Math.floor(Number(`0.${fraction ?? '0'}`) * 1000)
  const calendar = new Date(Date.UTC(year, month - 1, day))
  calendar.setUTCFullYear(year) // Date.UTC maps years 0–99 to 1900–1999
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    throw new ValidationError(`${field}: ${text} is not a date on the calendar.`, { field })
  }
  if (hour > 23 || minute > 59 || second > 59) throw refuse()
  let offsetMinutes = 0
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    const [oh = '0', om = '0'] = zone.slice(1).split(':')
    if (Number(oh) > 23 || Number(om) > 59) throw refuse()
    offsetMinutes = sign * (Number(oh) * 60 + Number(om))
  }
  const time = calendar.getTime() + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis
  return new Date(time)
}

/** `YYYY-MM-DD`, optionally followed by `THH:MM[:SS[.fff]]` and a required zone. */
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:\d{2}))?$/

export function checkOptionalDate(value: unknown, what: string): Date | undefined {
  return value === undefined || value === null ? undefined : checkDate(value, what)
}

export function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`${what} must be a whole number of 0 or more, not ${describe(value)}.`, { field: what })
  }
  return value
}

export function checkId(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError(`${what} must be a positive whole number, not ${describe(value)}.`, { field: what })
  }
  return value
}

export function checkIntegerInRange(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${what} must be a whole number from ${min} to ${max}, not ${describe(value)}.`, { field: what })
  }
  return value
}

export function checkText(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string') throw new ValidationError(`${what} must be a string, not ${describe(value)}.`, { field: what })
  if (codePointLength(value) > max) {
    throw new ValidationError(`${what} must be at most ${max} characters long.`, { field: what })
  }
  return value
}

/** Length in Unicode code points (what the contract's limits count), not UTF-16 units. */
export function codePointLength(value: string): number {
  return value.length - (value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0)
}

/** The first `max` code points of a string. */
export function truncateCodePoints(value: string, max: number): string {
  return Array.from(value).slice(0, max).join('')
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return 'an invalid Date'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${value.toString()}`
  return typeof value
}
