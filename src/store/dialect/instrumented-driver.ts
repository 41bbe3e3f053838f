import { CompiledQuery } from 'kysely'
import type { DatabaseConnection, Driver, QueryResult, TransactionSettings } from 'kysely'

const WRITE_KINDS = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode'])

/** Statements and commits sent through one store's connections (what `npm run bench` reports). */
export interface StatementCounts {
  statements: number
  commits: number
}

/** Rewrites bound values for drivers that cannot bind them (better-sqlite3: no `Date`, no `boolean`). */
export type ParameterMapper = (value: unknown) => unknown

/**
 * Wraps a Kysely driver so that every statement — BEGIN and COMMIT included — is counted, and so
 * that transactions open with the statement the dialect needs. SQLite must use `begin immediate`:
 * a deferred transaction that reads first and writes later can fail with SQLITE_BUSY at the upgrade
 * instead of waiting, and would let two processes read the same "latest run" before either writes.
 */
export class InstrumentedDriver implements Driver {
  readonly #inner: Driver
  readonly #beginSql: string
  readonly #mapParameter: ParameterMapper | undefined
  readonly #wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>()
  readonly #unwrapped = new WeakMap<DatabaseConnection, DatabaseConnection>()
  readonly counts: StatementCounts

  constructor(inner: Driver, counts: StatementCounts, beginSql: string, mapParameter?: ParameterMapper) {
    this.#inner = inner
    this.counts = counts
    this.#beginSql = beginSql
    this.#mapParameter = mapParameter
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
    await connection.executeQuery(CompiledQuery.raw(this.#beginSql))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
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
        else if (!inTransaction && WRITE_KINDS.has(compiled.query.kind)) counts.commits++
        if (mapParameter && compiled.parameters.length > 0) {
          compiled = { ...compiled, parameters: compiled.parameters.map(mapParameter) }
        }
        return connection.executeQuery<R>(compiled)
      },
      streamQuery<R>(compiled: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
        counts.statements++
        return connection.streamQuery<R>(compiled, chunkSize)
      },
    }
  }
}
