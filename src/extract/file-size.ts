import { ValidationError } from '../errors.ts'
import { describe } from '../tracker/validation.ts'

/** The units a file size is given in (the `filesize_type_lkup` codes). */
export type FileSizeUnit = 'B' | 'KB' | 'MB' | 'GB' | 'TB'

/** A file size as given: the amount keeps its decimals, the unit is not converted. */
export interface FileSize {
  amount: number
  unit: FileSizeUnit
}

// The column is decimal(24, 6) on MySQL: at most 18 digits before the point and 6 after.
const SIZE = /^(\d{1,18})(?:\.(\d{1,6}))? *(b|kb|mb|gb|tb)$/i

/**
 * Parses a file size: a number of bytes, or `'<n>[.<d>] B|KB|MB|GB|TB'` (the space is optional, the
 * unit case-insensitive). Nothing is converted: `'2.21MB'` is 2.21 MB, `'512 KB'` is 512 KB.
 *
 * @example
 * ```ts
 * parseFileSize('2.21MB') // { amount: 2.21, unit: 'MB' }
 * parseFileSize(1048576)  // { amount: 1048576, unit: 'B' }
 * ```
 * @throws ValidationError for anything else (a negative or fractional byte count, another unit,
 *   more than 6 decimals, text around the size).
 */
export function parseFileSize(value: unknown): FileSize {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ValidationError(`A file size given as a number is a whole count of bytes of 0 or more, not ${String(value)}.`, {
        field: 'fileSize',
      })
    }
    return { amount: value, unit: 'B' }
  }
  const match = typeof value === 'string' ? SIZE.exec(value) : null
  if (!match?.[1] || !match[3]) {
    throw new ValidationError(
      `${describe(value)} is not a file size: give bytes as a number, or a string like '2.21MB' or '512 KB' (units B, KB, MB, GB, TB; at most 6 decimals).`,
      { field: 'fileSize' },
    )
  }
  const amount = Number(match[2] === undefined ? match[1] : `${match[1]}.${match[2]}`)
  return { amount, unit: match[3].toUpperCase() as FileSizeUnit }
}
