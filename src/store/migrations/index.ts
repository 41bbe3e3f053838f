import { sql } from 'kysely'
import type { Db, DialectAdapter } from '../dialect/adapter.ts'
import { INITIAL_TABLES } from './0001-initial-schema.ts'
import { HTTP_API_INDEXES, HTTP_API_TABLES } from './0003-http-api.ts'
import { READ_INDEXES } from './0004-read-indexes.ts'
import { LINEAGE_COLUMNS, LINEAGE_TABLES, backfillRunUuids, lineageDdl } from './0005-lineage.ts'
import { dropUnusedIndexes } from './0006-outbox-index.ts'
import { createStartFunction } from './0007-start-function.ts'
import { rebuildOutboxWithoutAutoincrement } from './0008-outbox-rowid.ts'
import { SEEDS } from './seeds.ts'
import { DELIVERY_COLUMNS, RELEASED_STATUS } from './0002-released-and-deliveries.ts'
import { SQL_0001 } from './sql/0001-initial-schema.ts'
import { SQL_0002 } from './sql/0002-released-and-deliveries.ts'
import { SQL_0003 } from './sql/0003-http-api.ts'
import { SQL_0004 } from './sql/0004-read-indexes.ts'
import { SQL_0005 } from './sql/0005-lineage.ts'
import type { FrozenSql } from './sql/frozen-sql.ts'
import type { AddedColumns, AddedIndex, TableSpec } from './table-spec.ts'

export type { AddedColumns, AddedIndex } from './table-spec.ts'

/**
 * A schema change, compiled into the package so nothing is read from disk at run time.
 *
 * A migration is written with the portable helpers (`tables`, `indexes`, `columns`, `ddl`) while it
 * is unreleased. At release, `scripts/freeze-migrations.ts` records the SQL those helpers produce on
 * each dialect into `sql/NNNN-*.ts` and the migration gets `frozen`: from then on that SQL is what
 * runs, so a later change to the helpers cannot change a released schema. The helper fields stay
 * for the data-model document (`scripts/data-model-doc.ts`) and the list of owned tables.
 */
export interface Migration {
  version: number
  name: string
  tables: TableSpec[]
  /** Indexes added to tables of earlier migrations. */
  indexes?: readonly AddedIndex[]
  /** Columns added to tables of earlier migrations (nullable only, so existing rows stay valid). */
  columns?: readonly AddedColumns[]
  /** Schema changes the table specs cannot express; run after tables, indexes and columns. Frozen with them. */
  ddl?: (db: Db, adapter: DialectAdapter) => Promise<void>
  /** The released SQL of each dialect; when set, it replaces `tables`, `indexes`, `columns` and `ddl`. */
  frozen?: FrozenSql
  /** Data changes (rows, not schema), run after the schema changes; never frozen (see {@link applyMigration}). */
  up?: (db: Db, adapter: DialectAdapter) => Promise<void>
}

/**
 * Every migration, in order. Add new ones at the end (an import and an entry); never edit a released
 * one. A released migration has `frozen` SQL (see {@link Migration}); 1–5 were frozen at 0.2.
 */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', tables: INITIAL_TABLES, frozen: SQL_0001 },
  {
    version: 2,
    name: 'released status, file deliveries',
    tables: [],
    columns: DELIVERY_COLUMNS,
    frozen: SQL_0002,
    up: async (db) => {
      // A custom status named `released` made by hand in 0.1 becomes the seeded one; otherwise the
      // seed that follows every migration inserts it.
      await db
        .updateTable('process_status_lkup')
        .set({ process_status_category: RELEASED_STATUS.process_status_category, is_protected: true })
        .where('process_status_name', '=', RELEASED_STATUS.process_status_name)
        .execute()
    },
  },
  {
    version: 3,
    name: 'http api: tokens, idempotency keys, event watermark',
    tables: HTTP_API_TABLES,
    indexes: HTTP_API_INDEXES,
    frozen: SQL_0003,
  },
  { version: 4, name: 'read indexes', tables: [], indexes: READ_INDEXES, frozen: SQL_0004 },
  {
    version: 5,
    name: 'lineage',
    tables: LINEAGE_TABLES,
    columns: LINEAGE_COLUMNS,
    ddl: lineageDdl,
    frozen: SQL_0005,
    up: backfillRunUuids,
  },
  { version: 6, name: 'outbox without the sent-time index', tables: [], ddl: dropUnusedIndexes },
  { version: 7, name: 'start in one statement (PostgreSQL function)', tables: [], ddl: createStartFunction },
  { version: 8, name: 'outbox without AUTOINCREMENT (SQLite)', tables: [], ddl: rebuildOutboxWithoutAutoincrement },
]

/** The newest version (versions are fixed when assigned, so the list may have gaps while 0.2 is built). */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((migration) => migration.version))
export const MIGRATION_TABLE = 'process_tracker_migration'

/** Every table processtracker owns, in creation order. */
export const OWN_TABLES: readonly string[] = MIGRATIONS.flatMap((migration) => migration.tables.map((table) => table.name))

/** Creates one table with its keys, constraints and indexes, and the audit columns every table has. */
export async function createTable(db: Db, adapter: DialectAdapter, spec: TableSpec): Promise<void> {
  let builder = db.schema.createTable(spec.name).ifNotExists()
  const foreignKeys: [string, string][] = []
  for (const [name, column] of Object.entries(spec.columns)) {
    if (column.references) foreignKeys.push([name, column.references])
    builder = builder.addColumn(name, adapter.columnType(column), (definition) => {
      if (column.kind === 'id') return adapter.idColumn(definition)
      let result = column.nullable ? definition : definition.notNull()
      if (column.default !== undefined) result = result.defaultTo(column.default)
      return result
    })
  }
  if (spec.lookup) builder = builder.addColumn('is_protected', adapter.columnType({ kind: 'bool' }), (c) => c.notNull().defaultTo(false))
  const timestamp = adapter.columnType({ kind: 'timestamp' })
  const by = adapter.columnType({ kind: 'str', length: 250 })
  builder = builder
    .addColumn('created_date_time', timestamp, (c) => c.notNull().defaultTo(adapter.nowDefault))
    .addColumn('created_by', by, (c) => c.notNull().defaultTo('processtracker'))
    .addColumn('update_date_time', timestamp, (c) => c.notNull().defaultTo(adapter.nowDefault))
    .addColumn('updated_by', by, (c) => c.notNull().defaultTo('processtracker'))
  if (spec.primaryKey) builder = builder.addPrimaryKeyConstraint(`${spec.name}_pk`, spec.primaryKey as never)
  spec.unique?.forEach((columns, i) => {
    builder = builder.addUniqueConstraint(`${spec.name}_udx${i + 1}`, columns as never)
  })
  foreignKeys.forEach(([column, target], i) => {
    const [table = '', targetColumn = ''] = target.split('.')
    builder = builder.addForeignKeyConstraint(`${spec.name}_fk${i + 1}`, [column] as never, table, [targetColumn])
  })
  await adapter.finishTable(builder).execute()
  for (const [i, columns] of (spec.indexes ?? []).entries()) {
    const index = db.schema
      .createIndex(`${spec.name}_idx${i + 1}`)
      .on(spec.name)
      .columns(columns)
    await adapter.createIndexIfNotExists(index).execute()
  }
}

/** Creates an index a migration adds to an existing table (see {@link AddedIndex}). */
export async function addIndex(db: Db, adapter: DialectAdapter, [table, name, columns]: AddedIndex): Promise<void> {
  await adapter
    .createIndexIfNotExists(
      db.schema
        .createIndex(name)
        .on(table)
        .columns([...columns]),
    )
    .execute()
}

/**
 * Applies one migration: its frozen SQL when released, else its helpers; then its data changes.
 * Runs inside the migration lock (a transaction on SQLite and PostgreSQL; on MySQL, whose DDL is not
 * transactional, a migration killed half-way is run again over its own work — see
 * `DialectAdapter.executeMigrationStatement`).
 */
export async function applyMigration(db: Db, adapter: DialectAdapter, migration: Migration): Promise<void> {
  if (migration.frozen) {
    for (const statement of migration.frozen[adapter.dialect]) await adapter.executeMigrationStatement(db, statement)
  } else {
    await applyHelperMigration(db, adapter, migration)
  }
  await migration.up?.(db, adapter)
}

/**
 * The schema changes of an unreleased migration, built by the helpers: its tables, indexes, columns
 * (skipping any already there: MySQL DDL is not transactional, so a migration interrupted there is
 * retried over its own work), then its `ddl`. This is also what `scripts/freeze-migrations.ts` records.
 */
export async function applyHelperMigration(db: Db, adapter: DialectAdapter, migration: Migration): Promise<void> {
  for (const table of migration.tables) await createTable(db, adapter, table)
  for (const index of migration.indexes ?? []) await addIndex(db, adapter, index)
  for (const change of migration.columns ?? []) {
    const existing = new Set(await adapter.listColumns(db, change.table))
    for (const [name, column] of Object.entries(change.columns)) {
      if (existing.has(name)) continue
      if (!column.nullable) throw new Error(`migration ${migration.version}: ${change.table}.${name} must be nullable`)
      await db.schema.alterTable(change.table).addColumn(name, adapter.columnType(column)).execute()
    }
  }
  await migration.ddl?.(db, adapter)
}

/** Inserts the default rows that are missing, marked protected. Safe to run any number of times. */
export async function seed(db: Db, adapter: DialectAdapter, version: string): Promise<void> {
  const sets = [...SEEDS, { table: 'system_lkup', key: 'system_key', rows: [{ system_key: 'version', system_value: version }] }]
  for (const set of sets) {
    const rows = set.rows.map((row) => ({ ...row, is_protected: true }))
    await adapter.insertIgnoringDuplicates(db.insertInto(set.table as never).values(rows)).execute()
  }
}

/** The recorded schema version, or 0 when none is recorded. */
export async function recordedVersion(db: Db): Promise<number> {
  const row = await db
    .selectFrom(MIGRATION_TABLE)
    .select(sql<number | null>`max(version)`.as('version'))
    .executeTakeFirst()
  return Number(row?.version ?? 0)
}
