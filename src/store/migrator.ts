import { ConfigError } from '../errors.ts'
import { VERSION } from '../version.ts'
import type { Db, DialectAdapter } from './dialect/adapter.ts'
import { MIGRATIONS, MIGRATION_TABLE, OWN_TABLES, SCHEMA_VERSION, applyMigration, recordedVersion, seed } from './migrations/index.ts'
import { MIGRATION_TABLE_SQL } from './migrations/sql/migration-table.ts'

/**
 * Brings the schema to {@link SCHEMA_VERSION}. The common case — already current — costs two reads
 * and takes no lock. Otherwise the work happens under the dialect's cross-process lock and the
 * version is re-read inside it, so when many processes open a fresh database at once exactly one
 * migrates and the others find the work done.
 */
export async function migrate(db: Db, adapter: DialectAdapter, lockTimeoutMs: number): Promise<void> {
  if (await isCurrent(db, adapter)) return
  await adapter.withMigrationLock(db, lockTimeoutMs, async (locked) => {
    const tables = await adapter.listTables(locked)
    let version = 0
    if (tables.includes(MIGRATION_TABLE)) {
      version = await recordedVersion(locked)
    } else {
      const inTheWay = OWN_TABLES.filter((table) => tables.includes(table))
      if (inTheWay.length > 0) {
        throw new ConfigError(
          `The database already has tables processtracker did not create: ${inTheWay.join(', ')}. ` +
            'Point processtracker at an empty database or schema, or drop those tables (a Python ProcessTracker schema cannot be upgraded in place).',
          { tables: inTheWay },
        )
      }
      for (const statement of MIGRATION_TABLE_SQL[adapter.dialect]) await adapter.executeMigrationStatement(locked, statement)
    }
    assertNotNewer(version)
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue
      await applyMigration(locked, adapter, migration)
      await locked.insertInto(MIGRATION_TABLE).values({ version: migration.version, name: migration.name }).execute()
    }
    await seed(locked, adapter, VERSION)
  })
}

async function isCurrent(db: Db, adapter: DialectAdapter): Promise<boolean> {
  const tables = await adapter.listTables(db)
  if (!tables.includes(MIGRATION_TABLE)) return false
  const version = await recordedVersion(db)
  assertNotNewer(version)
  return version === SCHEMA_VERSION
}

function assertNotNewer(version: number): void {
  if (version > SCHEMA_VERSION) {
    throw new ConfigError(
      `schema ${version} is newer than processtracker ${VERSION} (which knows schema ${SCHEMA_VERSION}). Upgrade processtracker on this machine.`,
      { schemaVersion: version, knownVersion: SCHEMA_VERSION },
    )
  }
}

/** Drops every table processtracker owns (children first), and its migration record. */
export async function dropAll(db: Db, adapter: DialectAdapter): Promise<void> {
  const existing = new Set(await adapter.listTables(db))
  for (const table of [...OWN_TABLES].reverse()) {
    if (existing.has(table)) await db.schema.dropTable(table).execute()
  }
  if (existing.has(MIGRATION_TABLE)) await db.schema.dropTable(MIGRATION_TABLE).execute()
}
