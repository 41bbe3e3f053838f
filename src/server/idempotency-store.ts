/**
 * Idempotency keys (http.md "Conventions"): the first response to a request sent with an
 * `Idempotency-Key`, per token, kept 24 hours in the database so that every server sees it.
 *
 * A key is first claimed by a committed "pending" row: a second request with the same key while the
 * first is being processed finds it and is told to retry (`PT_IDEMPOTENCY_IN_PROGRESS`), on any
 * server. The response of a start is then written in the start's own transaction (see
 * `ProcessTracker.start`'s hooks), so a crash can never leave a run without its key; a crash before
 * that commit leaves only the pending row, which is taken over after {@link ABANDONED_AFTER_MS}.
 */
import { createHash } from 'node:crypto'
import type { DataStore } from '../api/data-store.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { single, transaction } from '../store/transaction.ts'
import { toDate } from '../store/values.ts'
import { HttpError } from './http-errors.ts'
import { serverDb } from './server-tables.ts'
import { contextOf } from '../store/context.ts'

/** How long a key is remembered. */
export const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000
/** A pending key older than this belongs to a request that died; a retry takes it over. */
export const ABANDONED_AFTER_MS = 60_000

/** The stored outcome of a request. */
export interface StoredResponse {
  status: number
  processTrackingId: number | null
  body: unknown
}

/** A claimed key, to be completed (or released) by the request that claimed it. */
export interface KeyClaim {
  keyId: number
}

/** `Idempotency-Key` must be 1–200 printable ASCII characters. */
export function checkIdempotencyKey(value: string): string {
  if (value.length < 1 || value.length > 200 || !/^[\x20-\x7e]+$/.test(value)) {
    throw new HttpError(400, 'PT_INVALID_INPUT', 'Idempotency-Key must be 1 to 200 printable ASCII characters.', {
      field: 'Idempotency-Key',
    })
  }
  return value
}

/** A stable hash of what the request asks for: the route and its body with keys sorted. */
export function requestHash(route: string, body: unknown): string {
  return createHash('sha256')
    .update(`${route}\n${canonicalJson(body)}`)
    .digest('hex')
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  // JSON.stringify(undefined) is undefined at run time, whatever its type says.
  return value === undefined ? 'null' : JSON.stringify(value)
}

/**
 * Claims a key for a request, or says what to answer instead: the stored response for a replay,
 * `PT_IDEMPOTENCY_MISMATCH` (422) for another body, `PT_IDEMPOTENCY_IN_PROGRESS` (409) while the
 * first request runs.
 */
export async function claimKey(
  store: DataStore,
  tokenId: number,
  key: string,
  hash: string,
): Promise<{ claim: KeyClaim } | { replay: StoredResponse }> {
  const ctx = contextOf(store)
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = new Date()
    const outcome = await transaction(ctx, async (tx) => {
      const db = serverDb(tx.db)
      await db
        .deleteFrom('api_idempotency_key')
        .where('token_id', '=', tokenId)
        .where('idempotency_key', '=', key)
        .where('created_date_time', '<', new Date(now.getTime() - KEY_LIFETIME_MS))
        .execute()
      const inserted = (await ctx.adapter
        .insertIgnoringDuplicates(
          db.insertInto('api_idempotency_key').values({
            token_id: tokenId,
            idempotency_key: key,
            request_hash: hash,
            created_date_time: now,
            update_date_time: now,
            created_by: ctx.auditUser,
            updated_by: ctx.auditUser,
          }) as never,
        )
        .executeTakeFirst()) as { numInsertedOrUpdatedRows?: bigint } | undefined
      const row = await db
        .selectFrom('api_idempotency_key')
        .selectAll()
        .where('token_id', '=', tokenId)
        .where('idempotency_key', '=', key)
        .executeTakeFirstOrThrow()
      return { inserted: Number(inserted?.numInsertedOrUpdatedRows ?? 0) > 0, row }
    })
    const { row } = outcome
    if (outcome.inserted) {
      return { claim: { keyId: Number(row.idempotency_key_id) } }
    }
    if (row.request_hash !== hash) {
      throw new HttpError(
        422,
        'PT_IDEMPOTENCY_MISMATCH',
        'This Idempotency-Key was used with another request body; use a new key for a new request.',
        {
          idempotencyKey: key,
        },
      )
    }
    if (row.response_status !== null) {
      return {
        replay: {
          status: row.response_status,
          processTrackingId: row.process_tracking_id === null ? null : Number(row.process_tracking_id),
          body: row.response_body === null ? null : (JSON.parse(row.response_body) as unknown),
        },
      }
    }
    const age = now.getTime() - (toDate(row.created_date_time)?.getTime() ?? now.getTime())
    if (age < ABANDONED_AFTER_MS) {
      throw inProgress(key)
    }
    // The request that claimed it died before answering: take the key over.
    await single(ctx, (db) =>
      serverDb(db)
        .deleteFrom('api_idempotency_key')
        .where('idempotency_key_id', '=', row.idempotency_key_id)
        .where('response_status', 'is', null)
        .execute(),
    )
  }
  throw inProgress(key)
}

/** The key's first request is still being processed (or its claim was just taken over): retry shortly. */
function inProgress(key: string): HttpError {
  return new HttpError(
    409,
    'PT_IDEMPOTENCY_IN_PROGRESS',
    'A request with this Idempotency-Key is still being processed; retry it shortly.',
    { idempotencyKey: key },
    { 'retry-after': '1' },
  )
}

/** Records the response of a claimed key, on `db` (a transaction's, to commit with the work). */
export async function completeKey(db: Db, claim: KeyClaim, response: StoredResponse): Promise<void> {
  await serverDb(db)
    .updateTable('api_idempotency_key')
    .set({
      response_status: response.status,
      process_tracking_id: response.processTrackingId,
      response_body: response.body === null || response.body === undefined ? null : JSON.stringify(response.body),
    })
    .where('idempotency_key_id', '=', claim.keyId)
    .execute()
}

/** Gives a claimed key up after the request failed, so a retry decides afresh. */
export async function releaseKey(store: DataStore, claim: KeyClaim): Promise<void> {
  await single(contextOf(store), (db) =>
    serverDb(db)
      .deleteFrom('api_idempotency_key')
      .where('idempotency_key_id', '=', claim.keyId)
      .where('response_status', 'is', null)
      .execute(),
  )
}
