import { describe, expect, it } from 'vitest'
import type { Dialect } from '../../src/config/connection-spec.ts'
import { migrate } from '../../src/store/migrator.ts'
import { MIGRATIONS, applyHelperMigration } from '../../src/store/migrations/index.ts'
import { MIGRATION_TABLE_SQL } from '../../src/store/migrations/sql/migration-table.ts'
import { checksum, recordDdl } from '../../scripts/freeze-migrations.ts'

/**
 * The checksums of the frozen SQL (scripts/freeze-migrations.ts prints them when it freezes a
 * migration). A released migration never changes: a frozen file edited by hand, or regenerated after
 * a helper changed, fails here. Add a line when a migration is released; never change one.
 */
const FROZEN_CHECKSUMS: Record<string, Record<Dialect, string>> = {
  'migration table': { sqlite: 'bf1e5e33fb587898', postgresql: '5233f87b2b1fa336', mysql: '822ce1d05568e889' },
  1: { sqlite: 'd799c4740903e667', postgresql: 'df6b08b96f802be0', mysql: 'ff7a758f011a1ba5' },
  2: { sqlite: 'e672b909f2a6ec9b', postgresql: '55ff9161f83f6cae', mysql: '71cd317d362a44f2' },
  3: { sqlite: 'e7bb9e5a7eafcc25', postgresql: '185e74afb1a1dff3', mysql: '92e3fd478b67b245' },
  4: { sqlite: 'fb91ab1be297df6d', postgresql: 'fb91ab1be297df6d', mysql: '95aabda06541ca6c' },
  5: { sqlite: 'f824fe78dc929485', postgresql: '61cee7b5e19ae89e', mysql: 'eacd2a241dc208da' },
}

/** The migrations released before the SQL was frozen (0.2): all of them must be frozen. */
const RELEASED_UP_TO = 5

const DIALECT_NAMES: Dialect[] = ['sqlite', 'postgresql', 'mysql']

describe('frozen migrations', () => {
  it(`every released migration (1–${RELEASED_UP_TO}) runs frozen SQL`, () => {
    const released = MIGRATIONS.filter((migration) => migration.version <= RELEASED_UP_TO)
    expect(released.map((migration) => migration.version)).toEqual([1, 2, 3, 4, 5])
    expect(released.filter((migration) => !migration.frozen).map((migration) => migration.version)).toEqual([])
  })

  it('the frozen SQL is unchanged since its release (checksums)', () => {
    const actual: Record<string, Record<string, string>> = {
      'migration table': Object.fromEntries(DIALECT_NAMES.map((d) => [d, checksum(MIGRATION_TABLE_SQL[d])])),
    }
    for (const migration of MIGRATIONS) {
      if (migration.frozen)
        actual[migration.version] = Object.fromEntries(DIALECT_NAMES.map((d) => [d, checksum(migration.frozen?.[d] ?? [])]))
    }
    expect(actual).toEqual(FROZEN_CHECKSUMS)
  })

  for (const dialect of DIALECT_NAMES) {
    it(`${dialect}: migrating an empty database runs exactly the frozen SQL, then the unreleased migrations' helpers`, async () => {
      const applied = await recordDdl(dialect, (db, adapter) => migrate(db, adapter, 1_000))
      const expected = [...MIGRATION_TABLE_SQL[dialect]]
      for (const migration of MIGRATIONS) {
        if (migration.frozen) expected.push(...migration.frozen[dialect])
        else expected.push(...(await recordDdl(dialect, (db, adapter) => applyHelperMigration(db, adapter, migration))))
      }
      expect(applied).toEqual(expected)
    })
  }
})
