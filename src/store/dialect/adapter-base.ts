import { sql } from 'kysely'
import type {
  ColumnDefinitionBuilder,
  CreateIndexBuilder,
  CreateTableBuilder,
  Dialect as KyselyDialect,
  DialectAdapter as KyselyDialectAdapter,
  RawBuilder,
} from 'kysely'
import type { ConnectionSpec, Dialect } from '../../config/connection-spec.ts'
import type { ColumnKind, ColumnSpec } from '../migrations/table-spec.ts'
import type { AdapterOptions, AnyInsert, AnySelect, DataTypeExpression, Db, DbErrorKind, DialectAdapter } from './adapter.ts'
import type { LockWaiter, ParameterMapper } from './instrumented-driver.ts'

/** The column types most databases agree on; an adapter overrides the kinds it spells otherwise. */
const COMMON_TYPES: Record<Exclude<ColumnKind, 'str'>, DataTypeExpression> = {
  id: 'integer',
  int: 'integer',
  bigint: 'bigint',
  bool: 'boolean',
  timestamp: 'timestamp',
  decimal: 'numeric',
}

/**
 * The defaults of {@link DialectAdapter}, as Kysely's `DialectAdapterBase` holds its own: what SQL
 * standard servers (PostgreSQL, MySQL) do, with `ON CONFLICT DO NOTHING` inserts (PostgreSQL,
 * SQLite) and a migration lock that is simply the migration's transaction (SQLite). Each adapter
 * extends it and overrides only what its database does differently.
 */
export abstract class AdapterBase implements DialectAdapter {
  abstract readonly dialect: Dialect
  abstract readonly kysely: KyselyDialectAdapter
  abstract readonly nowDefault: RawBuilder<unknown>
  abstract readonly now: RawBuilder<Date>

  /** Column types that differ from {@link COMMON_TYPES} (`str` is always `varchar(length)`). */
  protected readonly columnTypes: Partial<Record<Exclude<ColumnKind, 'str'>, DataTypeExpression>> = {}
  /** The working namespace in `information_schema` (the PostgreSQL schema, the MySQL database). */
  protected readonly namespace: RawBuilder<string> = sql<string>`current_schema()`

  abstract createDialect(
    spec: ConnectionSpec,
    options: AdapterOptions,
  ): Promise<{ kyselyDialect: KyselyDialect; beginSql: string; mapParameter?: ParameterMapper; waitForLock?: LockWaiter }>
  abstract secondsSince(column: string): RawBuilder<number>
  abstract prepare(db: Db, options: AdapterOptions): Promise<void>
  abstract classifyError(error: unknown): DbErrorKind | null

  get supportsReturning(): boolean {
    return this.kysely.supportsReturning
  }

  columnType(column: ColumnSpec): DataTypeExpression {
    if (column.kind === 'str') return sql`varchar(${sql.raw(String(column.length ?? 250))})`
    return this.columnTypes[column.kind] ?? COMMON_TYPES[column.kind]
  }

  idColumn(builder: ColumnDefinitionBuilder): ColumnDefinitionBuilder {
    return builder.primaryKey().autoIncrement()
  }

  finishTable<T extends string, C extends string>(builder: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> {
    return builder
  }

  /** The generated id as the driver reports it (`insertId`), without RETURNING. */
  async insertReturningId(query: AnyInsert, _idColumn: string): Promise<number> {
    const result = await query.executeTakeFirstOrThrow()
    return Number(result.insertId)
  }

  insertIgnoringDuplicates(query: AnyInsert): AnyInsert {
    return query.onConflict((conflict) => conflict.doNothing())
  }

  createIndexIfNotExists(builder: CreateIndexBuilder): CreateIndexBuilder {
    return builder.ifNotExists()
  }

  forUpdate<O>(query: AnySelect<O>): AnySelect<O> {
    return query.forUpdate()
  }

  forUpdateSkipLocked<O>(query: AnySelect<O>): AnySelect<O> {
    return query.forUpdate().skipLocked()
  }

  forUpdateNoWait<O>(query: AnySelect<O>): AnySelect<O> {
    return query.forUpdate().noWait()
  }

  /** The migration's own transaction is the lock: enough where the transaction locks the database. */
  withMigrationLock<T>(db: Db, _lockTimeoutMs: number, work: (db: Db) => Promise<T>): Promise<T> {
    return db.transaction().execute((trx) => work(trx))
  }

  async executeMigrationStatement(db: Db, statement: string): Promise<void> {
    await sql.raw(statement).execute(db)
  }

  async listTables(db: Db): Promise<string[]> {
    const { rows } = await sql<{ name: string }>`
      select table_name as name from information_schema.tables where table_schema = ${this.namespace}`.execute(db)
    return rows.map((row) => row.name)
  }

  async listColumns(db: Db, table: string): Promise<string[]> {
    const { rows } = await sql<{ name: string }>`
      select column_name as name from information_schema.columns where table_schema = ${this.namespace} and table_name = ${table}`.execute(
      db,
    )
    return rows.map((row) => row.name)
  }
}
