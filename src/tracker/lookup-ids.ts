import { NotFoundError } from '../errors.ts'
import { idKey } from '../store/context.ts'
import type { Database } from '../store/database.ts'
import type { Tx } from '../store/transaction.ts'

/** A lookup table with an id and a unique name column. */
export interface LookupTable {
  table: keyof Database
  id: string
  name: string
  /** Used in messages: 'actor', 'error type', … */
  topic: string
}

export const LOOKUP = {
  actor: { table: 'actor_lkup', id: 'actor_id', name: 'actor_name', topic: 'actor' },
  tool: { table: 'tool_lkup', id: 'tool_id', name: 'tool_name', topic: 'tool' },
  processType: { table: 'process_type_lkup', id: 'process_type_id', name: 'process_type_name', topic: 'process type' },
  scheduleFrequency: {
    table: 'schedule_frequency_lkup',
    id: 'schedule_frequency_id',
    name: 'schedule_frequency_name',
    topic: 'schedule frequency',
  },
  source: { table: 'source_lkup', id: 'source_id', name: 'source_name', topic: 'source' },
  datasetType: { table: 'dataset_type_lkup', id: 'dataset_type_id', name: 'dataset_type', topic: 'dataset type' },
  errorType: { table: 'error_type_lkup', id: 'error_type_id', name: 'error_type_name', topic: 'error type' },
  dependencyType: {
    table: 'dependency_type_lkup',
    id: 'dependency_type_id',
    name: 'dependency_type_name',
    topic: 'dependency type',
  },
  extractStatus: { table: 'extract_status_lkup', id: 'extract_status_id', name: 'extract_status_name', topic: 'extract status' },
  locationType: { table: 'location_type_lkup', id: 'location_type_id', name: 'location_type_name', topic: 'location type' },
  filetype: { table: 'extract_filetype_lkup', id: 'extract_filetype_id', name: 'extract_filetype', topic: 'file type' },
  compressionType: {
    table: 'extract_compression_type_lkup',
    id: 'extract_compression_type_id',
    name: 'extract_compression_type',
    topic: 'compression type',
  },
  filesizeType: { table: 'filesize_type_lkup', id: 'filesize_type_id', name: 'filesize_type_code', topic: 'file size type' },
  cluster: { table: 'cluster_tracking_lkup', id: 'cluster_id', name: 'cluster_name', topic: 'cluster' },
  contact: { table: 'contact_lkup', id: 'contact_id', name: 'contact_name', topic: 'contact' },
} as const satisfies Record<string, LookupTable>

/** The id of the row whose columns equal `key`, or undefined. */
export async function findRowId(
  tx: Tx,
  table: keyof Database,
  idColumn: string,
  key: Record<string, string | number>,
  afterOwnInsert = false,
): Promise<number | undefined> {
  const cacheKey = idKey(table, JSON.stringify(key))
  const cached = tx.cached(cacheKey)
  if (cached !== undefined) return cached
  let query = tx.db.selectFrom(table).select(`${idColumn} as id` as never)
  for (const [column, value] of Object.entries(key)) query = query.where(column as never, '=', value as never)
  const row = (await query.executeTakeFirst()) as { id: number } | undefined
  // A row found before this transaction tried to insert it was committed by someone: it survives a
  // rollback of this transaction. One found after our own insert may be ours: remember it at commit.
  if (row) tx.learn(cacheKey, Number(row.id), !afterOwnInsert)
  return row ? Number(row.id) : undefined
}

/**
 * The id of the row whose columns equal `key`, created when missing. Race-free without aborting the
 * transaction: the insert skips an existing key (ON CONFLICT DO NOTHING / INSERT IGNORE; on
 * PostgreSQL and MySQL it first waits for a concurrent inserter of the same key to finish), and the
 * re-read — a new statement under READ COMMITTED — then sees the committed row.
 */
export async function ensureRowId(
  tx: Tx,
  table: keyof Database,
  idColumn: string,
  key: Record<string, string | number>,
  extra: Record<string, unknown> = {},
): Promise<number> {
  const found = await findRowId(tx, table, idColumn, key)
  if (found !== undefined) return found
  const values = { ...key, created_by: tx.ctx.auditUser, updated_by: tx.ctx.auditUser, ...extra }
  await tx.ctx.adapter.insertIgnoringDuplicates(tx.db.insertInto(table).values(values)).execute()
  const id = await findRowId(tx, table, idColumn, key, true)
  if (id === undefined) throw new Error(`${table} row ${JSON.stringify(key)} vanished after insert`)
  return id
}

/** The id of a lookup row by name, or undefined. */
export function findId(tx: Tx, lookup: LookupTable, name: string): Promise<number | undefined> {
  return findRowId(tx, lookup.table, lookup.id, { [lookup.name]: name })
}

/** The id of a lookup row by name; a missing name is a NotFoundError. */
export async function requireId(tx: Tx, lookup: LookupTable, name: string): Promise<number> {
  const id = await findId(tx, lookup, name)
  if (id === undefined) {
    throw new NotFoundError(`The ${lookup.topic} ${JSON.stringify(name)} does not exist.`, { topic: lookup.topic, name })
  }
  return id
}

/** The id of a lookup row by name, created when missing (see {@link ensureRowId}). */
export function ensureId(tx: Tx, lookup: LookupTable, name: string, extra: Record<string, unknown> = {}): Promise<number> {
  return ensureRowId(tx, lookup.table, lookup.id, { [lookup.name]: name }, extra)
}

/** Links two rows in a link table unless they already are (remembered per store after commit). */
export async function ensureLink(tx: Tx, table: keyof Database, values: Record<string, number>): Promise<void> {
  const key = idKey(table, JSON.stringify(values))
  if (tx.cached(key) !== undefined) return
  const result = await tx.ctx.adapter
    .insertIgnoringDuplicates(tx.db.insertInto(table).values({ ...values, created_by: tx.ctx.auditUser, updated_by: tx.ctx.auditUser }))
    .executeTakeFirst()
  // Nothing inserted: the link is another transaction's, already committed (the insert waited for
  // any concurrent inserter of the same key), so it is known now, even if this transaction rolls back
  // — as a refused start does. A store whose starts were all refused then still knows its links.
  tx.learn(key, 1, Number(result.numInsertedOrUpdatedRows ?? 0n) === 0)
}
