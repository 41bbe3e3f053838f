import { ValidationError } from '../errors.ts'
import { describe } from '../tracker/validation.ts'

const MAX_FILENAME = 1024

/**
 * Checks a filename: 1–1,024 characters, no `/` (the folder belongs in the location) and no NUL.
 *
 * @throws ValidationError otherwise.
 */
export function checkFilename(value: unknown): string {
  if (value === undefined) throw new ValidationError('Filename must be provided.', { field: 'filename' })
  if (typeof value !== 'string') {
    throw new ValidationError(`filename must be a string, not ${describe(value)}.`, { field: 'filename' })
  }
  const length = Array.from(value).length
  if (length < 1 || length > MAX_FILENAME) {
    throw new ValidationError(`filename must be 1 to ${MAX_FILENAME} characters long; it has ${length}.`, { field: 'filename' })
  }
  if (value.includes('/') || value.includes('\u0000')) {
    throw new ValidationError(
      `filename ${JSON.stringify(value)} must not contain '/' or NUL: put the folder in the location path and give the bare file name.`,
      { field: 'filename' },
    )
  }
  return value
}
