import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, DataStore, DatabaseUnavailableError, ProcessTracker } from '../../src/index.ts'
import { MIGRATIONS, MIGRATION_TABLE } from '../../src/store/migrations/index.ts'
import { DIALECTS, MYSQL_URL, POSTGRES_URL, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { startWorkers } from '../support/workers.ts'
import { contextOf } from '../../src/store/context.ts'

for (const dialect of DIALECTS) {
  describe(`${dialect}: opening a data store`, () => {
    let database: IsolatedDatabase

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
    })
    afterAll(async () => {
      await database.drop()
    })

    it('lets five OS processes open one fresh database at once; the schema is migrated once', async () => {
      const workers = await startWorkers(5, database.options, false)
      try {
        const replies = await Promise.all(workers.map((worker) => worker.send({ cmd: 'open' })))
        expect(replies.map((reply) => [reply.ok, reply.message])).toEqual(Array(5).fill([true, undefined]))
      } finally {
        await Promise.all(workers.map((worker) => worker.close()))
      }
      const store = await database.open()
      try {
        const migrations = await contextOf(store).db.selectFrom(MIGRATION_TABLE).selectAll().execute()
        expect(migrations).toHaveLength(MIGRATIONS.length)
        expect(await store.lookups.list('process status')).toEqual(['completed', 'failed', 'on hold', 'released', 'running'])
      } finally {
        await store.close()
      }
    })

    it('setup({ overwrite }) really drops and recreates', async () => {
      const store = await database.open()
      try {
        const run = await ProcessTracker.start(store, { processName: 'doomed', processType: 'Extract' })
        await run.complete()
        await store.lookups.create('actor', 'someone')
        expect(await store.getProcess('doomed')).not.toBeNull()
        await store.setup({ overwrite: true })
        expect(await store.getProcess('doomed')).toBeNull()
        expect(await store.lookups.list('actor')).toEqual([])
        expect(await store.lookups.list('error type')).toEqual(['Data Error', 'File Error', 'Process Error'])
        const again = await ProcessTracker.start(store, { processName: 'doomed', processType: 'Extract' })
        expect(again.processRunId).toBe(1)
        await again.complete()
      } finally {
        await store.close()
      }
    })

    it('refuses a schema written by a newer processtracker, changing nothing', async () => {
      const store = await database.open()
      try {
        await contextOf(store).db.insertInto(MIGRATION_TABLE).values({ version: 999, name: 'from the future' }).execute()
        const error = await database.open().catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ConfigError)
        expect((error as Error).message).toMatch(/^schema 999 is newer than processtracker/)
        await contextOf(store).db.deleteFrom(MIGRATION_TABLE).where('version', '=', 999).execute()
      } finally {
        await store.close()
      }
    })
  })

  describe(`${dialect}: tables in the way`, () => {
    let database: IsolatedDatabase
    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
    })
    afterAll(async () => {
      await database.drop()
    })

    it('names tables processtracker did not create (a Python ProcessTracker schema) and changes nothing', async () => {
      const raw = await database.open({ migrate: false })
      try {
        await contextOf(raw).db.schema.createTable('process').addColumn('process_id', 'integer').execute()
        await contextOf(raw).db.schema.createTable('actor_lkup').addColumn('actor_id', 'integer').execute()
        const error = await database.open().catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ConfigError)
        expect((error as Error).message).toContain('actor_lkup, process')
        const tables = await contextOf(raw).adapter.listTables(contextOf(raw).db)
        expect(tables).not.toContain(MIGRATION_TABLE)
        expect(tables).not.toContain('process_tracking')
      } finally {
        await raw.close()
      }
    })
  })
}

describe('connection errors are coded and never show the password', () => {
  const home = tmpdir()
  it('a bad URL is a ConfigError', async () => {
    const error = await DataStore.open({ url: 'oracle://scott:tiger-secret@db/x', env: {}, homeDir: home }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).not.toContain('tiger-secret')
  })

  it('an unreachable server is a DatabaseUnavailableError', async () => {
    const error = await DataStore.open({ url: 'postgres://pt:hunter2-secret@127.0.0.1:1/x', env: {}, homeDir: home }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect((error as DatabaseUnavailableError).code).toBe('PT_DATABASE_UNAVAILABLE')
    expect((error as Error).message).not.toContain('hunter2-secret')
    expect((error as Error).message).toMatch(/Check that the server is running/)
  })

  it.skipIf(!POSTGRES_URL)('a wrong PostgreSQL password is a DatabaseUnavailableError without the password', async () => {
    // Trust auth on the test server accepts any password, so use a role that does not exist.
    const url = new URL(POSTGRES_URL ?? '')
    url.username = 'no_such_role_pt'
    url.password = 'wrong-pass-secret'
    const error = await DataStore.open({ url: url.toString(), env: {}, homeDir: home }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect((error as Error).message).not.toContain('wrong-pass-secret')
  })

  it.skipIf(!MYSQL_URL)('a wrong MySQL password is a DatabaseUnavailableError without the password', async () => {
    const url = new URL(MYSQL_URL ?? '')
    url.password = 'wrong-pass-secret'
    const error = await DataStore.open({ url: url.toString(), env: {}, homeDir: home }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect((error as DatabaseUnavailableError).message).toMatch(/refused the credentials/)
    expect((error as Error).message).not.toContain('wrong-pass-secret')
  })
})

describe('where DataStore.open finds its connection', () => {
  it('uses the embedded SQLite default under the home folder when nothing is configured', async () => {
    const home = mkdtempSync(join(tmpdir(), 'pt-home-'))
    const store = await DataStore.open({ env: {}, homeDir: home })
    try {
      expect(store.dialect).toBe('sqlite')
      expect(existsSync(join(home, '.process_tracker', 'process_tracker.db'))).toBe(true)
    } finally {
      await store.close()
      rmSync(home, { recursive: true, force: true })
    }
  })

  it('prefers PROCESS_TRACKER_DATABASE_URL over the home ini file, and the url option over both', async () => {
    const home = mkdtempSync(join(tmpdir(), 'pt-home-'))
    mkdirSync(join(home, '.process_tracker'))
    writeFileSync(
      join(home, '.process_tracker', 'process_tracker_config.ini'),
      `[DEFAULT]\ndata_store_type = sqlite\ndata_store_name = ${join(home, 'from-ini.db')}\nmax_concurrent_failures = 2\n`,
    )
    const fromEnv = join(home, 'from-env.db')
    const fromOption = join(home, 'from-option.db')
    try {
      const viaIni = await DataStore.open({ env: {}, homeDir: home })
      expect(contextOf(viaIni).maxConcurrentFailures).toBe(2)
      await viaIni.close()
      expect(existsSync(join(home, 'from-ini.db'))).toBe(true)

      const viaEnv = await DataStore.open({ env: { PROCESS_TRACKER_DATABASE_URL: `sqlite:${fromEnv}` }, homeDir: home })
      // The ini file still supplies the other settings when the connection comes from a URL.
      expect(contextOf(viaEnv).maxConcurrentFailures).toBe(2)
      await viaEnv.close()
      expect(existsSync(fromEnv)).toBe(true)

      const viaOption = await DataStore.open({
        url: `sqlite:${fromOption}`,
        maxConcurrentFailures: 0,
        env: { PROCESS_TRACKER_DATABASE_URL: `sqlite:${fromEnv}`, PROCESS_TRACKER_MAX_CONCURRENT_FAILURES: '9' },
        homeDir: home,
      })
      expect(contextOf(viaOption).maxConcurrentFailures).toBe(0)
      await viaOption.close()
      expect(existsSync(fromOption)).toBe(true)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })
})
