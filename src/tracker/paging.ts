import { checkIntegerInRange } from './validation.ts'

/** A page size: 1–1000, default 50 (http.md "Conventions"; out of range is an error, never clamped). */
export function checkPageLimit(value: unknown): number {
  return value === undefined ? 50 : checkIntegerInRange(value, 'limit', 1, 1000)
}

/** Ids per IN list when reading many rows by id, so no statement carries a huge parameter list. */
export const CHUNK = 500
