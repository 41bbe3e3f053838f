/**
 * Normalises what the drivers return (see `docs/data-model.md`): SQLite gives timestamps as text
 * and booleans as 0/1, MySQL booleans as 0/1, and PostgreSQL already parses numbers at the driver.
 */

/** A stored timestamp as a Date (SQLite text is UTC without a zone suffix). */
export function toDate(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value
  return new Date(value.includes('T') ? value : `${value.replace(' ', 'T')}Z`)
}

export function toDateOrThrow(value: Date | string): Date {
  const date = toDate(value)
  if (date === null) throw new TypeError('timestamp expected')
  return date
}

export function toBool(value: boolean | number | null | undefined): boolean {
  return value === true || value === 1
}

export function toNumberOrNull(value: number | string | bigint | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value)
}
