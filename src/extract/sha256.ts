import { createHash } from 'node:crypto'

/**
 * SHA-256 of a string's UTF-8 bytes, as 64 lower-case hex digits. Filenames (1,024 characters) and
 * location paths (2,048) are too long for a MySQL unique index, so their hashes are the unique keys.
 */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}
