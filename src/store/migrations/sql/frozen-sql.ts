import type { Dialect } from '../../../config/connection-spec.ts'

/**
 * The SQL of a released migration on each dialect, statement by statement: generated once by
 * `scripts/freeze-migrations.ts` from the helpers of its day and never edited, so that changing a
 * helper can only change migrations that are not released yet. test/store/frozen-migrations.test.ts
 * pins every frozen file's checksum.
 */
export type FrozenSql = Readonly<Record<Dialect, readonly string[]>>
