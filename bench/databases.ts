import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import mysql from 'mysql2/promise'
import pg from 'pg'
import type { DataStore } from './api.ts'
import type { OpenTarget } from './worker-pool.ts'
import { contextOf } from './api.ts'

export type BenchDialect = 'sqlite' | 'postgresql' | 'mysql'

export const ALL_DIALECTS: readonly BenchDialect[] = ['sqlite', 'postgresql', 'mysql']

/** The server URLs the benchmark runs against (SQLite needs none). */
export function serverUrl(dialect: BenchDialect, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (dialect === 'postgresql') return env.PROCESS_TRACKER_BENCH_POSTGRES_URL || undefined
  if (dialect === 'mysql') return env.PROCESS_TRACKER_BENCH_MYSQL_URL || undefined
  return undefined
}

/** One benchmark's own data: a temp SQLite file, a fresh PostgreSQL schema or a fresh MySQL database. */
export interface BenchDatabase {
  dialect: BenchDialect
  /** What DataStore.open takes, here and in the workers. */
  target: OpenTarget
  /** Where the data lives, for the report (never a password). */
  where: string
  /** Removes everything the benchmark wrote. */
  drop(): Promise<void>
}

/** A fresh, isolated place for one benchmark run; `tag` makes its name unique. */
export async function createBenchDatabase(dialect: BenchDialect, tag: string): Promise<BenchDatabase> {
  const name = `pt_bench_${tag}`
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(os.tmpdir(), 'processtracker-bench-'))
    const file = join(dir, 'bench.db')
    return {
      dialect,
      target: { url: `sqlite:${file}` },
      where: file,
      drop: () => {
        rmSync(dir, { recursive: true, force: true })
        return Promise.resolve()
      },
    }
  }
  const base = serverUrl(dialect)
  if (base === undefined) throw new Error(`${dialect} is not configured`)
  if (dialect === 'postgresql') {
    // DataStore.open creates the schema (the `schema` option) and works in it.
    return {
      dialect,
      target: { url: base, schema: name },
      where: `schema ${name} of ${describeUrl(base)}`,
      drop: async () => {
        const client = new pg.Client({ connectionString: base })
        await client.connect()
        try {
          await client.query(`drop schema if exists "${name}" cascade`)
        } finally {
          await client.end()
        }
      },
    }
  }
  const admin = await mysql.createConnection(base)
  try {
    await admin.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_bin`)
  } finally {
    await admin.end()
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    dialect,
    target: { url: url.toString() },
    where: `database ${name} on ${describeUrl(base)}`,
    drop: async () => {
      const conn = await mysql.createConnection(base)
      try {
        await conn.query(`drop database if exists \`${name}\``)
      } finally {
        await conn.end()
      }
    },
  }
}

/** A unique, lower-case, identifier-safe tag for one benchmark invocation. */
export function newTag(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
}

/** host:port/database, without user or password. */
function describeUrl(url: string): string {
  const parsed = new URL(url)
  return `${parsed.hostname}:${parsed.port}${parsed.pathname}`
}

export interface ServerFacts {
  version: string
  /** The settings that decide what a commit costs. */
  durability: Record<string, string>
}

/** The database version and its durability settings, read through the store's own connection. */
export async function describeServer(store: DataStore): Promise<ServerFacts> {
  const db = contextOf(store).db
  const one = async (query: string): Promise<string> => {
    const { rows } = await sql.raw<Record<string, unknown>>(query).execute(db)
    const value = Object.values(rows[0] ?? {})[0]
    return String(value)
  }
  if (store.dialect === 'sqlite') {
    const synchronous = ['OFF', 'NORMAL', 'FULL', 'EXTRA'][Number(await one('pragma synchronous'))] ?? 'unknown'
    return {
      version: `SQLite ${await one('select sqlite_version()')}`,
      durability: { journal_mode: await one('pragma journal_mode'), synchronous },
    }
  }
  if (store.dialect === 'postgresql') {
    const durability: Record<string, string> = {}
    for (const setting of ['synchronous_commit', 'fsync', 'wal_sync_method', 'full_page_writes', 'commit_delay']) {
      durability[setting] = await one(`show ${setting}`)
    }
    return { version: `PostgreSQL ${await one('show server_version')}`, durability }
  }
  const durability: Record<string, string> = {}
  for (const variable of ['innodb_flush_log_at_trx_commit', 'sync_binlog', 'log_bin', 'innodb_flush_method']) {
    durability[variable] = await one(`select @@${variable}`)
  }
  const version = await one('select version()')
  return { version: /mariadb/i.test(version) ? `MariaDB ${version}` : `MySQL ${version}`, durability }
}
