import type { AddedIndex } from './table-spec.ts'
import { col, type TableSpec } from './table-spec.ts'

/**
 * Migration 3 (0.2, the HTTP API): what `processtracker serve` keeps in the database so that any
 * number of servers can share it and hold no state of their own.
 *
 * - `api_token`: scoped bearer tokens; only the SHA-256 of a secret is stored.
 * - `api_idempotency_key`: the first response to a request sent with an `Idempotency-Key`, per token
 *   (`token_id` 0 when the server runs without authentication), written in the same transaction as
 *   the start it answers.
 * - An index on `process_tracking.update_date_time`: the watermark the event feed polls.
 */
export const HTTP_API_TABLES: TableSpec[] = [
  {
    name: 'api_token',
    columns: {
      token_id: col.id(),
      token_name: col.str(250),
      token_hash: col.str(64),
      token_scope: col.str(10),
      last_used_date_time: col.timestamp({ nullable: true }),
      revoked_date_time: col.timestamp({ nullable: true }),
    },
    unique: [['token_name'], ['token_hash']],
  },
  {
    name: 'api_idempotency_key',
    columns: {
      idempotency_key_id: col.id(),
      token_id: col.int(),
      idempotency_key: col.str(200),
      request_hash: col.str(64),
      response_status: col.int({ nullable: true }),
      process_tracking_id: col.int({ nullable: true }),
      response_body: col.str(4000, { nullable: true }),
    },
    unique: [['token_id', 'idempotency_key']],
    indexes: [['created_date_time']],
  },
]

/** The event feed's watermark: runs changed since a time, in time order. */
export const HTTP_API_INDEXES: readonly AddedIndex[] = [
  ['process_tracking', 'process_tracking_idx_update', ['update_date_time', 'process_tracking_id']],
]
