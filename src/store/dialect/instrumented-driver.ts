import { CompiledQuery } from 'kysely'
import type { DatabaseConnection, Driver, QueryResult, RootOperationNode, TransactionSettings } from 'kysely'

const WRITE_KINDS = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode'])
// Built once: every transaction sends them (the driver only reads their text).
const COMMIT = CompiledQuery.raw('commit')
const ROLLBACK = CompiledQuery.raw('rollback')

/**
 * Statements that write although they are not INSERT/UPDATE/DELETE nodes (PostgreSQL's
 * `select … from processtracker_start(…)`): outside a transaction they commit by themselves too.
 */
const selfCommitting = new WeakSet<RootOperationNode>()

/** Marks a built-once statement's query node as one that writes (and so commits outside a transaction). */
export function markSelfCommitting(node: RootOperationNode): void {
  selfCommitting.add(node)
}

/**
 * Whether a statement writes: an INSERT/UPDATE/DELETE, a marked one, or a SELECT whose data-modifying
 * CTEs write (PostgreSQL's writes that answer with the run's view).
 */
function writes(node: RootOperationNode): boolean {
  if (WRITE_KINDS.has(node.kind) || selfCommitting.has(node)) return true
  return (
    node.kind === 'SelectQueryNode' && node.with !== undefined && node.with.expressions.some((cte) => WRITE_KINDS.has(cte.expression.kind))
  )
}

/** Statements and commits sent through one store's connections (what `npm run bench` reports). */
export interface StatementCounts {
  statements: number
  commits: number
}

/** Rewrites bound values for drivers that cannot bind them (better-sqlite3: no `Date`, no `boolean`). */
export type ParameterMapper = (value: unknown) => unknown

/** Re-runs a statement the database refused because another process holds its lock (SQLite), without blocking. */
export type LockWaiter = <R>(attempt: () => Promise<R>) => Promise<R>

/**
 * Errors of a COMMIT, or of a write outside a transaction (which commits by itself), whose reply
 * never came: the server may have committed before the connection died. See {@link outcomeUnknown}.
 */
const unknownOutcome = new WeakSet<object>()

/** Whether `error` ended a commit whose result is unknown (the write may or may not be stored). */
export function outcomeUnknown(error: unknown): boolean {
  return typeof error === 'object' && error !== null && unknownOutcome.has(error)
}

function markOutcomeUnknown(error: unknown): void {
  if (typeof error === 'object' && error !== null) unknownOutcome.add(error)
}

/**
 * Wraps a Kysely driver so that every statement — BEGIN and COMMIT included — is counted, and so
 * that transactions open with the statement the dialect needs. SQLite must use `begin immediate`:
 * a deferred transaction that reads first and writes later can fail with SQLITE_BUSY at the upgrade
 * instead of waiting, and would let two processes read the same "latest run" before either writes.
 */
export class InstrumentedDriver implements Driver {
  readonly #inner: Driver
  readonly #beginSql: string
  readonly #begin: CompiledQuery
  readonly #mapParameter: ParameterMapper | undefined
  readonly #waitForLock: LockWaiter | undefined
  readonly #wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>()
  readonly #unwrapped = new WeakMap<DatabaseConnection, DatabaseConnection>()
  readonly counts: StatementCounts

  constructor(inner: Driver, counts: StatementCounts, beginSql: string, mapParameter?: ParameterMapper, waitForLock?: LockWaiter) {
    this.#inner = inner
    this.counts = counts
    this.#beginSql = beginSql
    this.#begin = CompiledQuery.raw(beginSql)
    this.#mapParameter = mapParameter
    this.#waitForLock = waitForLock
  }

  init(): Promise<void> {
    return this.#inner.init()
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.#inner.acquireConnection()
    let wrapped = this.#wrapped.get(connection)
    if (!wrapped) {
      wrapped = this.#wrap(connection)
      this.#wrapped.set(connection, wrapped)
      this.#unwrapped.set(wrapped, connection)
    }
    return wrapped
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(this.#begin)
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(COMMIT)
    } catch (error) {
      // The COMMIT may have reached the server and been applied before its reply was lost.
      markOutcomeUnknown(error)
      throw error
    }
  }

  /**
   * Rolls back, never throwing: Kysely rethrows the error that made it roll back only when the
   * ROLLBACK succeeds, so a ROLLBACK on a dead connection would replace the real error with its own.
   * A connection whose ROLLBACK failed is broken; the pools drop broken connections on release.
   */
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(ROLLBACK).catch(() => undefined)
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(this.#unwrapped.get(connection) ?? connection)
  }

  destroy(): Promise<void> {
    return this.#inner.destroy()
  }

  #wrap(connection: DatabaseConnection): DatabaseConnection {
    const counts = this.counts
    const mapParameter = this.#mapParameter
    const beginSql = this.#beginSql
    const waitForLock = this.#waitForLock
    // A write outside BEGIN … COMMIT commits by itself; count it as the commit it is.
    let inTransaction = false
    return {
      executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
        counts.statements++
        if (compiled.sql === beginSql) inTransaction = true
        else if (compiled.sql === 'commit') {
          inTransaction = false
          counts.commits++
        } else if (compiled.sql === 'rollback') inTransaction = false
        const commitsItself = !inTransaction && writes(compiled.query)
        if (commitsItself) counts.commits++
        if (mapParameter && compiled.parameters.length > 0) {
          compiled = { ...compiled, parameters: compiled.parameters.map(mapParameter) }
        }
        // SQLite's connection throws synchronously; the executor turns that into a rejection.
        const run = () =>
          new Promise<QueryResult<R>>((resolve) => {
            resolve(connection.executeQuery<R>(compiled))
          })
        const result = waitForLock ? waitForLock(run) : run()
        const begins = compiled.sql === beginSql
        if (!commitsItself && !begins) return result
        return result.catch((error: unknown) => {
          if (begins) inTransaction = false
          else markOutcomeUnknown(error)
          throw error
        })
      },
      streamQuery<R>(compiled: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
        counts.statements++
        return connection.streamQuery<R>(compiled, chunkSize)
      },
    }
  }
}
