import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { ConfigError, DataStore, ProcessTracker } from '../../src/index.ts'
import { DIALECTS, POSTGRES_URL, createIsolatedDatabase } from '../support/dialects.ts'

/** `DataStore.open({ mustExist: true })`: reading never creates a file, a folder, a schema or a table. */
describe('sqlite: open with mustExist', () => {
  it('creates neither the folder nor the file of a missing store, and says how to create it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-must-exist-'))
    try {
      const file = join(dir, 'not', 'there', 'x.db')
      const error = await DataStore.open({ url: `sqlite:${file}`, env: {}, homeDir: dir, mustExist: true, migrate: false }).catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).message).toContain(file)
      expect((error as ConfigError).message).toContain('run `processtracker setup` to create it')
      expect(existsSync(join(dir, 'not'))).toBe(false)
      await expect(DataStore.open({ url: 'sqlite::memory:', env: {}, homeDir: dir, mustExist: true })).rejects.toBeInstanceOf(ConfigError)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

for (const dialect of DIALECTS) {
  describe(`${dialect}: open with mustExist`, () => {
    it('opens an existing store, reads it, and refuses an empty database without creating tables', async () => {
      const database = await createIsolatedDatabase(dialect)
      try {
        // Nothing there yet: refused, and nothing created.
        const refused = await database.open({ mustExist: true, migrate: false }).catch((e: unknown) => e)
        expect(refused).toBeInstanceOf(ConfigError)
        expect((refused as ConfigError).message).toMatch(/The store .* run `processtracker setup` to create it\./)
        expect(await tableCount(dialect, database.options)).toBe(0)

        const writer = await database.open()
        await (await ProcessTracker.start(writer, { processName: 'exists', processType: 'Load' })).complete()
        await writer.close()
        const reader = await database.open({ mustExist: true, migrate: false })
        try {
          expect(await reader.listRuns({ processName: 'exists' })).toHaveLength(1)
        } finally {
          await reader.close()
        }
      } finally {
        await database.drop()
      }
    })
  })
}

const postgresUrl = POSTGRES_URL
if (DIALECTS.includes('postgresql') && postgresUrl) {
  describe('postgresql: open with mustExist', () => {
    it('does not create a missing schema, and masks the password', async () => {
      const schema = `pt_missing_${Date.now().toString(36)}`
      const url = new URL(postgresUrl)
      url.password = 'sEcReT-pw'
      const error = await DataStore.open({ url: url.toString(), schema, env: {}, mustExist: true, migrate: false }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).message).toContain(`schema ${schema}`)
      expect(JSON.stringify({ message: (error as ConfigError).message, details: (error as ConfigError).details })).not.toContain(
        'sEcReT-pw',
      )
      const client = new pg.Client({ connectionString: postgresUrl })
      await client.connect()
      try {
        const { rows } = await client.query('select 1 from information_schema.schemata where schema_name = $1', [schema])
        expect(rows).toHaveLength(0)
      } finally {
        await client.end()
      }
    })
  })
}

async function tableCount(dialect: string, options: { url: string; schema?: string }): Promise<number> {
  if (dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3')
    const file = options.url.slice('sqlite:'.length)
    if (!existsSync(file)) return 0
    const db = new Database(file)
    try {
      return (db.prepare("select count(*) as n from sqlite_master where type = 'table'").get() as { n: number }).n
    } finally {
      db.close()
    }
  }
  if (dialect === 'postgresql') {
    const client = new pg.Client({ connectionString: options.url })
    await client.connect()
    try {
      const { rows } = await client.query<{ n: string }>('select count(*) as n from information_schema.tables where table_schema = $1', [
        options.schema,
      ])
      return Number(rows[0]?.n)
    } finally {
      await client.end()
    }
  }
  const conn = await mysql.createConnection(options.url)
  try {
    const [rows] = await conn.query('select count(*) as n from information_schema.tables where table_schema = database()')
    return Number((rows as { n: number }[])[0]?.n)
  } finally {
    await conn.end()
  }
}
