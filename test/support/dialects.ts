import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { DataStore, type OpenOptions } from '../../src/index.ts'
import { failedSince, failureCount } from './failures.ts'

/**
 * The databases every suite runs on, like Kysely's DIALECTS loop. SQLite always runs; PostgreSQL and
 * MySQL/MariaDB run when their URL is set, and say loudly when they are skipped (global-setup.ts).
 * `DIALECTS=sqlite,mysql` narrows the set.
 */
export type TestDialectName = 'sqlite' | 'postgresql' | 'mysql'

export const POSTGRES_URL = process.env.PROCESS_TRACKER_TEST_POSTGRES_URL
export const MYSQL_URL = process.env.PROCESS_TRACKER_TEST_MYSQL_URL

const wanted = process.env.DIALECTS?.split(',').map((name) => name.trim())

function enabled(name: TestDialectName, url: string | undefined): boolean {
  if (wanted && !wanted.includes(name)) return false
  return name === 'sqlite' || Boolean(url)
}

export const DIALECTS: TestDialectName[] = (['sqlite', 'postgresql', 'mysql'] as const).filter((name) =>
  enabled(name, name === 'postgresql' ? POSTGRES_URL : name === 'mysql' ? MYSQL_URL : 'always'),
)

/** Why a dialect is not covered in this run, or null when it is. */
export function skipReason(name: TestDialectName): string | null {
  if (DIALECTS.includes(name)) return null
  if (wanted && !wanted.includes(name)) return `DIALECTS=${wanted.join(',')} leaves it out`
  return name === 'postgresql' ? 'PROCESS_TRACKER_TEST_POSTGRES_URL is not set' : 'PROCESS_TRACKER_TEST_MYSQL_URL is not set'
}

/**
 * One isolated database for one test file or test: a temp SQLite file, a fresh PostgreSQL schema, or a
 * fresh MySQL database. `options` can be handed to child processes (it is plain JSON).
 */
export interface IsolatedDatabase {
  dialect: TestDialectName
  options: { url: string; schema?: string }
  open(extra?: OpenOptions): Promise<DataStore>
  /**
   * Drops the database, unless a test of this file failed while it existed: then it is kept for a
   * look, and where it is (file, schema or database name) is printed on stderr.
   */
  drop(): Promise<void>
}

const unique = () => `pt_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`

export async function createIsolatedDatabase(dialect: TestDialectName): Promise<IsolatedDatabase> {
  const failuresBefore = failureCount()
  let options: { url: string; schema?: string }
  let drop: () => Promise<void>
  let where: string
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'pt-test-'))
    options = { url: `sqlite:${join(dir, 'tracker.db')}` }
    where = `the SQLite file ${join(dir, 'tracker.db')}`
    drop = () => {
      rmSync(dir, { recursive: true, force: true })
      return Promise.resolve()
    }
  } else if (dialect === 'postgresql') {
    const schema = unique()
    options = { url: requireUrl(POSTGRES_URL), schema }
    where = `the PostgreSQL schema ${schema} of ${options.url}`
    drop = async () => {
      const client = new pg.Client({ connectionString: options.url })
      await client.connect()
      try {
        await client.query(`drop schema if exists "${schema}" cascade`)
      } finally {
        await client.end()
      }
    }
  } else {
    const database = unique()
    const admin = await mysql.createConnection(requireUrl(MYSQL_URL))
    await admin.query(`create database \`${database}\` character set utf8mb4 collate utf8mb4_bin`)
    await admin.end()
    const url = new URL(requireUrl(MYSQL_URL))
    url.pathname = `/${database}`
    options = { url: url.toString() }
    where = `the MySQL database ${database} (${options.url})`
    drop = async () => {
      const conn = await mysql.createConnection(requireUrl(MYSQL_URL))
      try {
        await conn.query(`drop database if exists \`${database}\``)
      } finally {
        await conn.end()
      }
    }
  }
  return {
    dialect,
    options,
    open: (extra = {}) => DataStore.open({ ...options, env: {}, homeDir: tmpdir(), ...extra }),
    drop: async () => {
      const failed = failedSince(failuresBefore)
      if (failed.length === 0) return drop()
      process.stderr.write(
        `\nKept ${where}: ${failed.length} test(s) failed while it existed (${failed.map((name) => JSON.stringify(name)).join(', ')}).\n`,
      )
    },
  }
}

function requireUrl(url: string | undefined): string {
  if (!url) throw new Error('dialect enabled without its URL')
  return url
}

/**
 * Gives a suite a store on its own isolated database: opened before its tests, closed and dropped
 * after. Read `store` / `database` inside hooks and tests (they are set in a beforeAll). `options`
 * are added to the store's open options (lineage, log level, …).
 */
export function useIsolatedStore(
  dialect: TestDialectName,
  options?: OpenOptions,
): { readonly store: DataStore; readonly database: IsolatedDatabase } {
  let database: IsolatedDatabase | undefined
  let store: DataStore | undefined
  beforeAll(async () => {
    database = await createIsolatedDatabase(dialect)
    store = await database.open(options)
  })
  afterAll(async () => {
    await store?.close()
    await database?.drop()
  })
  return {
    get store() {
      if (!store) throw new Error('the isolated store is opened in beforeAll')
      return store
    },
    get database() {
      if (!database) throw new Error('the isolated database is created in beforeAll')
      return database
    },
  }
}
