/**
 * Kysely's view of the tables of migration 3 (`src/store/migrations/0003-http-api.ts`), which only
 * the server reads and writes.
 */
import type { ColumnType, Generated, Kysely } from 'kysely'
import type { NullableTimestamp } from '../store/database.ts'
import type { Db } from '../store/dialect/adapter.ts'

export interface ApiTokenTable {
  token_id: Generated<number>
  token_name: string
  token_hash: string
  token_scope: string
  last_used_date_time: NullableTimestamp
  revoked_date_time: NullableTimestamp
  created_date_time: ColumnType<Date | string, Date | undefined, Date>
  created_by: Generated<string>
  update_date_time: ColumnType<Date | string, Date | undefined, Date>
  updated_by: Generated<string>
}

export interface ApiIdempotencyKeyTable {
  idempotency_key_id: Generated<number>
  token_id: number
  idempotency_key: string
  request_hash: string
  response_status: number | null
  process_tracking_id: number | null
  response_body: string | null
  created_date_time: ColumnType<Date | string, Date | undefined, Date>
  created_by: Generated<string>
  update_date_time: ColumnType<Date | string, Date | undefined, Date>
  updated_by: Generated<string>
}

export interface ServerTables {
  api_token: ApiTokenTable
  api_idempotency_key: ApiIdempotencyKeyTable
}

/** The store's connection (or a transaction's), typed for the server's tables. */
export function serverDb(db: Db): Kysely<ServerTables> {
  return db as unknown as Kysely<ServerTables>
}
