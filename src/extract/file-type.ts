import { NotFoundError } from '../errors.ts'
import { idKey } from '../store/context.ts'
import type { Tx } from '../store/transaction.ts'
import { LOOKUP, findId } from '../tracker/lookup-ids.ts'

/** Compression extensions and the compression type each one means. */
const COMPRESSION_EXTENSIONS: Readonly<Record<string, string>> = {
  gz: 'gzip',
  bz2: 'bz2',
  zst: 'zstd',
  zip: 'zip',
}

/** What a filename's extensions say, before any lookup. */
export interface DerivedType {
  /** The file type code to look up (lower case), or null when the name has no extension. */
  filetypeCode: string | null
  /** The compression type name, or null. */
  compressionType: string | null
}

/**
 * Reads the file type code and the compression from a filename, case-insensitively: `Teams.CSV` →
 * csv; `x.csv.gz` → csv and gzip; `archive.zip` → zip and no file type. A leading dot starts no
 * extension (`.bashrc` has none).
 *
 * @example
 * ```ts
 * deriveType('Teams.csv.gz') // { filetypeCode: 'csv', compressionType: 'gzip' }
 * ```
 */
export function deriveType(filename: string): DerivedType {
  const parts = filename.replace(/^\.+/, '').split('.')
  const extensions = parts.slice(1).map((part) => part.toLowerCase())
  let last = extensions.pop()
  const compressionType = last === undefined ? null : (COMPRESSION_EXTENSIONS[last] ?? null)
  if (compressionType !== null) last = extensions.pop()
  return { filetypeCode: last === undefined || last === '' ? null : last, compressionType }
}

/** A file type as the tracker shows it: its id and its code. */
export interface FileTypeRef {
  id: number
  code: string
}

/** The file type with this code (lowest id when several share it), or undefined; remembered per store. */
export async function findFileTypeByCode(tx: Tx, code: string): Promise<FileTypeRef | undefined> {
  const key = idKey('extract_filetype_lkup', `code:${code}`)
  const cached = tx.cached(key)
  if (cached !== undefined) return { id: cached, code }
  const row = await tx.db
    .selectFrom('extract_filetype_lkup')
    .select('extract_filetype_id')
    .where('extract_filetype_code', '=', code)
    .orderBy('extract_filetype_id')
    .limit(1)
    .executeTakeFirst()
  if (!row) return undefined
  tx.learn(key, Number(row.extract_filetype_id))
  return { id: Number(row.extract_filetype_id), code }
}

/**
 * An explicit file type: its full name (`'Comma Separated Values'`) or its code (`'csv'`), exactly
 * as stored.
 *
 * @throws NotFoundError naming it when neither matches.
 */
export async function requireFileType(tx: Tx, name: string): Promise<FileTypeRef> {
  const byCode = await findFileTypeByCode(tx, name)
  if (byCode) return byCode
  // A full name: rare enough (codes are what people write) to be read each time.
  const row = await tx.db
    .selectFrom('extract_filetype_lkup')
    .select(['extract_filetype_id', 'extract_filetype_code'])
    .where('extract_filetype', '=', name)
    .executeTakeFirst()
  if (row) return { id: Number(row.extract_filetype_id), code: row.extract_filetype_code }
  throw new NotFoundError(
    `The file type ${JSON.stringify(name)} does not exist: give the code or full name of a row of extract_filetype_lkup (e.g. 'csv' or 'Comma Separated Values'), or leave filetype out to derive it from the extension.`,
    { topic: 'file type', name },
  )
}

/**
 * An explicit compression type, by its exact name.
 *
 * @throws NotFoundError naming it when it does not exist.
 */
export async function requireCompressionType(tx: Tx, name: string): Promise<number> {
  const id = await findId(tx, LOOKUP.compressionType, name)
  if (id === undefined) {
    throw new NotFoundError(
      `The compression type ${JSON.stringify(name)} does not exist: use one of extract_compression_type_lkup (zip, gzip, bz2, zstd), or leave compressionType out to derive it from the extension.`,
      { topic: 'compression type', name },
    )
  }
  return id
}
