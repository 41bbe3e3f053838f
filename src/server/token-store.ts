/**
 * Bearer tokens (http.md "Authentication and scopes"): created, listed and revoked by the CLI and by
 * `/api/v1/tokens`; only the SHA-256 of each secret is stored, so a leaked database leaks no token.
 */
import { createHash, randomBytes } from 'node:crypto'
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts'
import type { DataStore } from '../api/data-store.ts'
import { single, transaction } from '../store/transaction.ts'
import { toDate } from '../store/values.ts'
import { checkName } from '../tracker/validation.ts'
import { serverDb } from './server-tables.ts'
import { contextOf } from '../store/context.ts'

/** Scopes in order: each includes the ones before it. */
export const SCOPES = ['read', 'write', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/** A token as listed (never with its secret). */
export interface TokenInfo {
  name: string
  scope: Scope
  createdAt: Date
  lastUsedAt: Date | null
  revokedAt: Date | null
}

/** What authentication needs to know about a presented secret. */
export interface TokenIdentity {
  tokenId: number
  name: string
  scope: Scope
  lastUsedAt: Date | null
}

/** True when `held` allows what `needed` guards. */
export function scopeAllows(held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed)
}

/** The stored form of a secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

function checkScope(value: unknown): Scope {
  if (typeof value !== 'string' || !(SCOPES as readonly string[]).includes(value)) {
    throw new ValidationError(`scope must be one of ${SCOPES.join(', ')}.`, { field: 'scope' })
  }
  return value as Scope
}

/**
 * Creates a token and returns its secret, which is shown this once: `pt_` and 32 random bytes in
 * base64url.
 *
 * @throws ConflictError when a token (even a revoked one) already has the name.
 */
export async function createToken(store: DataStore, name: string, scope: string): Promise<{ token: TokenInfo; secret: string }> {
  const tokenName = checkName(name, 'name')
  const tokenScope = checkScope(scope)
  const secret = `pt_${randomBytes(32).toString('base64url')}`
  const ctx = contextOf(store)
  const now = new Date()
  await transaction(ctx, async (tx) => {
    const db = serverDb(tx.db)
    const taken = await db.selectFrom('api_token').select('token_id').where('token_name', '=', tokenName).executeTakeFirst()
    if (taken) {
      throw new ConflictError(`A token named ${tokenName} already exists; choose another name (revoked names stay taken).`, {
        name: tokenName,
      })
    }
    await db
      .insertInto('api_token')
      .values({
        token_name: tokenName,
        token_hash: hashSecret(secret),
        token_scope: tokenScope,
        created_date_time: now,
        update_date_time: now,
        created_by: ctx.auditUser,
        updated_by: ctx.auditUser,
      })
      .execute()
  })
  return { token: { name: tokenName, scope: tokenScope, createdAt: now, lastUsedAt: null, revokedAt: null }, secret }
}

/** Every token, by name. */
export async function listTokens(store: DataStore): Promise<TokenInfo[]> {
  const rows = await single(contextOf(store), (db) =>
    serverDb(db)
      .selectFrom('api_token')
      .select(['token_name', 'token_scope', 'created_date_time', 'last_used_date_time', 'revoked_date_time'])
      .orderBy('token_name')
      .execute(),
  )
  return rows.map((row) => ({
    name: row.token_name,
    scope: row.token_scope as Scope,
    createdAt: toDate(row.created_date_time) ?? new Date(0),
    lastUsedAt: toDate(row.last_used_date_time),
    revokedAt: toDate(row.revoked_date_time),
  }))
}

/**
 * Revokes a token: every server refuses it within seconds. Revoking a revoked token changes nothing.
 *
 * @throws NotFoundError for an unknown name.
 */
export async function revokeToken(store: DataStore, name: string): Promise<void> {
  const tokenName = checkName(name, 'name')
  const ctx = contextOf(store)
  await transaction(ctx, async (tx) => {
    const db = serverDb(tx.db)
    const row = await db
      .selectFrom('api_token')
      .select(['token_id', 'revoked_date_time'])
      .where('token_name', '=', tokenName)
      .executeTakeFirst()
    if (!row)
      throw new NotFoundError(`There is no token named ${tokenName}; \`processtracker token list\` shows them.`, {
        topic: 'token',
        name: tokenName,
      })
    if (row.revoked_date_time !== null) return
    const now = new Date()
    await db
      .updateTable('api_token')
      .set({ revoked_date_time: now, update_date_time: now, updated_by: ctx.auditUser })
      .where('token_id', '=', row.token_id)
      .execute()
  })
}

/** The live (not revoked) token with this secret, or null. */
export async function findTokenBySecret(store: DataStore, secret: string): Promise<TokenIdentity | null> {
  const row = await single(contextOf(store), (db) =>
    serverDb(db)
      .selectFrom('api_token')
      .select(['token_id', 'token_name', 'token_scope', 'last_used_date_time'])
      .where('token_hash', '=', hashSecret(secret))
      .where('revoked_date_time', 'is', null)
      .executeTakeFirst(),
  )
  if (!row) return null
  return {
    tokenId: Number(row.token_id),
    name: row.token_name,
    scope: row.token_scope as Scope,
    lastUsedAt: toDate(row.last_used_date_time),
  }
}

/** Stamps a token's last use (the caller throttles this). */
export async function touchToken(store: DataStore, tokenId: number, at: Date): Promise<void> {
  await single(contextOf(store), (db) =>
    serverDb(db).updateTable('api_token').set({ last_used_date_time: at }).where('token_id', '=', tokenId).execute(),
  )
}
