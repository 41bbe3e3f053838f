// Freezes released migrations: records the SQL the helpers (createTable, columnType, …) produce for a
// migration on each dialect and writes it to src/store/migrations/sql/NNNN-<name>.ts, which is what
// runs from then on. Run once per migration, when it is released:
//
//   npx tsx scripts/freeze-migrations.ts 6            # writes sql/0006-*.ts (refuses to overwrite)
//   npx tsx scripts/freeze-migrations.ts --compare [--before <old checkout>/src/index.ts]
//                                                     # proves frozen == before, on live databases
//
// Then give the migration `frozen: SQL_0006` in src/store/migrations/index.ts and add the checksums
// the frozen-migrations test prints to its list. A frozen migration's `up` must change rows only:
// schema statements belong to `tables`/`indexes`/`columns`/`ddl`, which are what gets recorded.
//
// --compare builds, on every database whose test URL is set (PROCESS_TRACKER_TEST_POSTGRES_URL,
// PROCESS_TRACKER_TEST_MYSQL_URL; SQLite always), one store the way processtracker did before the
// freeze (the previous version's own DataStore with --before, else today's helpers migration by
// migration) and one fresh store through the frozen SQL, dumps both
// schemas (sqlite_master; pg_catalog; SHOW CREATE TABLE) and fails on any difference. It then opens
// the helper-built store with today's code and checks that it is taken as current (nothing migrated).
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  Kysely,
  MysqlIntrospector,
  MysqlQueryCompiler,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
} from 'kysely'
import type { Dialect } from '../src/config/connection-spec.ts'
import { DataStore } from '../src/index.ts'
import { contextOf } from '../src/store/context.ts'
import type { Db, DialectAdapter } from '../src/store/dialect/adapter.ts'
import { mysqlAdapter } from '../src/store/dialect/mysql-adapter.ts'
import { postgresAdapter } from '../src/store/dialect/postgres-adapter.ts'
import { sqliteAdapter } from '../src/store/dialect/sqlite-adapter.ts'
import { MIGRATIONS, MIGRATION_TABLE, applyHelperMigration, seed, type Migration } from '../src/store/migrations/index.ts'
import type { FrozenSql } from '../src/store/migrations/sql/frozen-sql.ts'
import { VERSION } from '../src/version.ts'

export const ADAPTERS: Record<Dialect, DialectAdapter> = { sqlite: sqliteAdapter, postgresql: postgresAdapter, mysql: mysqlAdapter }
const COMPILERS: Record<Dialect, () => QueryCompiler> = {
  sqlite: () => new SqliteQueryCompiler(),
  postgresql: () => new PostgresQueryCompiler(),
  mysql: () => new MysqlQueryCompiler(),
}
const DIALECT_NAMES = Object.keys(ADAPTERS) as Dialect[]
const SCHEMA_NODES = new Set([
  'CreateTableNode',
  'CreateIndexNode',
  'AlterTableNode',
  'DropTableNode',
  'DropIndexNode',
  'CreateViewNode',
  'DropViewNode',
])
const RAW_DDL = /^\s*(create|alter|drop)\b/i

/**
 * A driver that sends nothing anywhere: it keeps the text of every schema statement it is given and
 * answers every query with no rows (so "which columns exist?" says none, and a helper adds them all;
 * an empty database, to the migrator).
 * Data statements (an `up` that reads or writes rows) are not recorded: they stay code.
 */
class RecordingDriver implements Driver {
  readonly statements: string[] = []

  init(): Promise<void> {
    return Promise.resolve()
  }

  acquireConnection(): Promise<DatabaseConnection> {
    const record = (compiled: CompiledQuery) => {
      const kind = compiled.query.kind
      if (!SCHEMA_NODES.has(kind) && !(kind === 'RawNode' && RAW_DDL.test(compiled.sql))) return
      if (compiled.parameters.length > 0) throw new Error(`a schema statement with bound parameters cannot be frozen: ${compiled.sql}`)
      this.statements.push(compiled.sql)
    }
    return Promise.resolve({
      executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
        record(compiled)
        // MySQL's migration lock asks whether it got the named lock: it did.
        const rows = /\bget_lock\(/.test(compiled.sql) ? [{ locked: 1 }] : []
        return Promise.resolve({ rows: rows as R[] })
      },
      streamQuery(): never {
        throw new Error('nothing streams while recording a migration')
      },
    })
  }

  beginTransaction(): Promise<void> {
    return Promise.resolve()
  }
  commitTransaction(): Promise<void> {
    return Promise.resolve()
  }
  rollbackTransaction(): Promise<void> {
    return Promise.resolve()
  }
  releaseConnection(): Promise<void> {
    return Promise.resolve()
  }
  destroy(): Promise<void> {
    return Promise.resolve()
  }
}

/** The schema statements `work` runs on `dialect`, recorded without a database. */
export async function recordDdl(dialect: Dialect, work: (db: Db, adapter: DialectAdapter) => Promise<void>): Promise<string[]> {
  const adapter = ADAPTERS[dialect]
  const driver = new RecordingDriver()
  const db: Db = new Kysely({
    dialect: {
      createAdapter: () => adapter.kysely,
      createDriver: () => driver,
      createQueryCompiler: COMPILERS[dialect],
      createIntrospector: (kysely) =>
        dialect === 'sqlite'
          ? new SqliteIntrospector(kysely)
          : dialect === 'postgresql'
            ? new PostgresIntrospector(kysely)
            : new MysqlIntrospector(kysely),
    },
  })
  await work(db, adapter)
  await db.destroy()
  return driver.statements
}

/**
 * The migration table as processtracker 0.1 and 0.2 created it (frozen in sql/migration-table.ts).
 * Kept only so that the frozen text can be regenerated and compared.
 */
export async function createMigrationTableWithHelpers(db: Db, adapter: DialectAdapter): Promise<void> {
  await db.schema
    .createTable(MIGRATION_TABLE)
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', adapter.columnType({ kind: 'str', length: 250 }), (c) => c.notNull())
    .addColumn('applied_date_time', adapter.columnType({ kind: 'timestamp' }), (c) => c.notNull().defaultTo(adapter.nowDefault))
    .execute()
}

/** The frozen SQL of one migration (or the migration table), as the helpers make it today. */
export async function freeze(work: (db: Db, adapter: DialectAdapter) => Promise<void>): Promise<FrozenSql> {
  const entries = await Promise.all(DIALECT_NAMES.map(async (dialect) => [dialect, await recordDdl(dialect, work)] as const))
  return Object.fromEntries(entries) as Record<Dialect, string[]>
}

/** The checksum the frozen-migrations test pins: of the statements, not of the file's formatting. */
export function checksum(statements: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(statements)).digest('hex').slice(0, 16)
}

const MIGRATIONS_DIR = new URL('../src/store/migrations/', import.meta.url)

function moduleText(constant: string, frozen: FrozenSql, what: string): string {
  const body = DIALECT_NAMES.map(
    (dialect) => `  ${dialect}: [\n${frozen[dialect].map((statement) => `    ${JSON.stringify(statement)},`).join('\n')}\n  ],`,
  ).join('\n')
  return `// Generated by scripts/freeze-migrations.ts: ${what}. Never edit: test/store/frozen-migrations.test.ts pins it.
import type { FrozenSql } from './frozen-sql.ts'

export const ${constant}: FrozenSql = {
${body}
}
`
}

/** Writes a frozen module, formatted as the rest of the tree (the checksums are of the statements, not the text). */
async function write(file: string, text: string, force: boolean): Promise<void> {
  const url = new URL(`sql/${file}`, MIGRATIONS_DIR)
  if (existsSync(url) && !force)
    throw new Error(`${file} exists: a frozen migration is never regenerated (--force only before its release)`)
  const prettier = await import('prettier')
  const filepath = fileURLToPath(url)
  writeFileSync(url, await prettier.format(text, { ...(await prettier.resolveConfig(filepath)), filepath }))
  console.log(`wrote src/store/migrations/sql/${file}`)
}

async function freezeVersions(versions: number[], force: boolean): Promise<void> {
  const sources = readdirSync(MIGRATIONS_DIR).filter((name) => /^\d{4}-.*\.ts$/.test(name))
  if (versions.includes(0)) {
    const frozen = await freeze(createMigrationTableWithHelpers)
    await write('migration-table.ts', moduleText('MIGRATION_TABLE_SQL', frozen, 'the migration table'), force)
    for (const dialect of DIALECT_NAMES) console.log(`  migration table ${dialect}: ${checksum(frozen[dialect])}`)
  }
  for (const version of versions.filter((v) => v > 0)) {
    const migration = MIGRATIONS.find((m) => m.version === version)
    if (!migration) throw new Error(`no migration ${version}`)
    const prefix = String(version).padStart(4, '0')
    const source = sources.find((name) => name.startsWith(`${prefix}-`)) ?? `${prefix}-migration.ts`
    const frozen = await freeze((db, adapter) => applyHelperMigration(db, adapter, { ...migration, frozen: undefined }))
    await write(source, moduleText(`SQL_${prefix}`, frozen, `migration ${version} (${migration.name})`), force)
    for (const dialect of DIALECT_NAMES) console.log(`  ${version} ${dialect}: ${checksum(frozen[dialect])}`)
  }
}

// ---------------------------------------------------------------- --compare (live databases)

interface Scratch {
  url: string
  schema?: string
  drop(): Promise<void>
}

const unique = () => `pt_freeze_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`

async function scratch(dialect: Dialect): Promise<Scratch> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'pt-freeze-'))
    const drop = () => {
      rmSync(dir, { recursive: true, force: true })
      return Promise.resolve()
    }
    return { url: `sqlite:${join(dir, 'tracker.db')}`, drop }
  }
  if (dialect === 'postgresql') {
    const url = process.env.PROCESS_TRACKER_TEST_POSTGRES_URL ?? ''
    const schema = unique()
    const { default: pg } = await import('pg')
    return {
      url,
      schema,
      drop: async () => {
        const client = new pg.Client({ connectionString: url })
        await client.connect()
        await client.query(`drop schema if exists "${schema}" cascade`)
        await client.end()
      },
    }
  }
  const base = process.env.PROCESS_TRACKER_TEST_MYSQL_URL ?? ''
  const database = unique()
  const mysql = await import('mysql2/promise')
  const admin = await mysql.createConnection(base)
  await admin.query(`create database \`${database}\` character set utf8mb4 collate utf8mb4_bin`)
  await admin.end()
  const url = new URL(base)
  url.pathname = `/${database}`
  return {
    url: url.toString(),
    drop: async () => {
      const conn = await mysql.createConnection(base)
      await conn.query(`drop database if exists \`${database}\``)
      await conn.end()
    },
  }
}

type Opener = { open(options: Parameters<typeof DataStore.open>[0]): Promise<{ close(): Promise<void> }> }
/** The database of a store of this version, or of the previous one (whose store had a public `context`). */
const dbOf = (store: object): Db => ((store as { context?: { db: Db } }).context ?? contextOf(store)).db
const openWith = (opener: Opener, target: Scratch, migrate: boolean) =>
  opener.open({ url: target.url, ...(target.schema ? { schema: target.schema } : {}), migrate, env: {}, homeDir: tmpdir() })
const open = (target: Scratch, migrate: boolean) => openWith(DataStore, target, migrate)

/** What migrate() did before the freeze: the helpers, migration by migration, then the seeds. */
async function migrateWithHelpers(db: Db, adapter: DialectAdapter, migrations: readonly Migration[]): Promise<void> {
  await adapter.withMigrationLock(db, 10_000, async (locked) => {
    await createMigrationTableWithHelpers(locked, adapter)
    for (const migration of migrations) {
      await applyHelperMigration(locked, adapter, migration)
      await migration.up?.(locked, adapter)
      await locked.insertInto(MIGRATION_TABLE).values({ version: migration.version, name: migration.name }).execute()
    }
    await seed(locked, adapter, VERSION)
  })
}

type Rows = Record<string, unknown>[]

/** Everything the database says about the schema's tables, columns, keys and indexes, as text. */
async function dumpSchema(db: Db, dialect: Dialect): Promise<string[]> {
  const lines = (rows: Rows) => rows.map((row) => JSON.stringify(row))
  if (dialect === 'sqlite') {
    const { rows } = await sql<Record<string, unknown>>`select type, name, tbl_name, sql from sqlite_master order by type, name`.execute(db)
    return lines(rows)
  }
  if (dialect === 'postgresql') {
    const columns = await sql<Record<string, unknown>>`
      select table_name, column_name, ordinal_position, data_type, character_maximum_length, numeric_precision, numeric_scale,
             datetime_precision, is_nullable, column_default, is_identity, identity_generation
      from information_schema.columns where table_schema = current_schema() order by table_name, ordinal_position`.execute(db)
    const constraints = await sql<Record<string, unknown>>`
      select cl.relname as table_name, c.conname, c.contype, pg_get_constraintdef(c.oid) as definition
      from pg_constraint c join pg_class cl on cl.oid = c.conrelid
      where cl.relnamespace = current_schema()::regnamespace order by cl.relname, c.conname`.execute(db)
    const indexes = await sql<Record<string, unknown>>`
      select tablename, indexname, replace(indexdef, current_schema() || '.', '') as indexdef
      from pg_indexes where schemaname = current_schema() order by tablename, indexname`.execute(db)
    return [...lines(columns.rows), ...lines(constraints.rows), ...lines(indexes.rows)]
  }
  const { rows: tables } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables where table_schema = database() order by table_name`.execute(db)
  const out: string[] = []
  for (const { name } of tables) {
    const { rows } = await sql<Record<string, string>>`show create table ${sql.id(name)}`.execute(db)
    // The next id is data, not schema.
    out.push((rows[0]?.['Create Table'] ?? '').replace(/ AUTO_INCREMENT=\d+/, ''))
  }
  return out
}

/**
 * `previous`: the DataStore of the version before the freeze (`--before <checkout>/src/index.ts`), which
 * migrates the "before" store with its own code; without it, the helpers of today stand in for it.
 */
async function compare(dialect: Dialect, previous: Opener | undefined): Promise<boolean> {
  const before = await scratch(dialect)
  const after = await scratch(dialect)
  try {
    const legacy = await openWith(previous ?? DataStore, before, previous !== undefined)
    if (!previous) await migrateWithHelpers(dbOf(legacy), contextOf(legacy).adapter, MIGRATIONS)
    const legacyDump = await dumpSchema(dbOf(legacy), dialect)
    const applied = await dbOf(legacy).selectFrom(MIGRATION_TABLE).select(['version', 'applied_date_time']).orderBy('version').execute()
    await legacy.close()

    const fresh = await open(after, true)
    const frozenDump = await dumpSchema(dbOf(fresh), dialect)
    await fresh.close()

    const onlyLegacy = legacyDump.filter((line) => !frozenDump.includes(line))
    const onlyFrozen = frozenDump.filter((line) => !legacyDump.includes(line))
    const same = onlyLegacy.length === 0 && onlyFrozen.length === 0 && legacyDump.length === frozenDump.length
    const source = previous ? 'the previous version' : 'the helpers'
    console.log(
      `${dialect}: ${legacyDump.length} schema facts from ${source}, ${frozenDump.length} from the frozen SQL: ${same ? 'identical' : 'DIFFERENT'}`,
    )
    for (const line of onlyLegacy) console.log(`  before only: ${line}`)
    for (const line of onlyFrozen) console.log(`  frozen only:  ${line}`)

    // The helper-built store, as the previous version left it, opened by today's code.
    const reopened = await open(before, true)
    const again = await dbOf(reopened).selectFrom(MIGRATION_TABLE).select(['version', 'applied_date_time']).orderBy('version').execute()
    const untouched = JSON.stringify(again) === JSON.stringify(applied) && again.length === MIGRATIONS.length
    const stillSame = JSON.stringify(await dumpSchema(dbOf(reopened), dialect)) === JSON.stringify(legacyDump)
    await reopened.close()
    console.log(
      `${dialect}: a store migrated 1–${MIGRATIONS.length} by ${source} opens as current: ${untouched && stillSame ? 'yes' : 'NO'}`,
    )
    return same && untouched && stillSame
  } finally {
    await before.drop()
    await after.drop()
  }
}

async function main(args: string[]): Promise<void> {
  if (args.includes('--compare')) {
    const dialects: Dialect[] = ['sqlite']
    if (process.env.PROCESS_TRACKER_TEST_POSTGRES_URL) dialects.push('postgresql')
    if (process.env.PROCESS_TRACKER_TEST_MYSQL_URL) dialects.push('mysql')
    const beforeAt = args[args.indexOf('--before') + 1]
    const previous = args.includes('--before') && beforeAt ? ((await import(beforeAt)) as { DataStore: Opener }).DataStore : undefined
    console.log(previous ? `before: the DataStore of ${beforeAt}` : 'before: the helpers of this checkout')
    let ok = true
    for (const dialect of dialects) ok = (await compare(dialect, previous)) && ok
    process.exitCode = ok ? 0 : 1
    return
  }
  const versions = args.filter((arg) => /^\d+$/.test(arg)).map(Number)
  if (versions.length === 0) throw new Error('usage: freeze-migrations.ts <version>… (0: the migration table) [--force] | --compare')
  await freezeVersions(versions, args.includes('--force'))
}

if (process.argv[1]?.endsWith('freeze-migrations.ts')) await main(process.argv.slice(2))
