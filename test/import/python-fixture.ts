/**
 * The Python ProcessTracker 0.9 fixtures (../shared/fixtures/python-0.9): restored into a fresh,
 * uniquely named database on the test servers (psql / mariadb clients, as the fixture README says)
 * and dropped afterwards. Other engineers' tests share the servers, hence the unique names.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { MYSQL_URL, POSTGRES_URL } from '../support/dialects.ts'

export const FIXTURE_DIR = fileURLToPath(new URL('../../../shared/fixtures/python-0.9/', import.meta.url))

export type SourceDialect = 'postgresql' | 'mysql'

/** The manifest's facts about one database (only what the tests read is typed). */
export interface ManifestProcess {
  process_id: number
  name: string
  type: string
  tool: string
  schedule_frequency: string
  runs: number
  runs_by_status: Record<string, number>
  max_process_run_id: number
  latest_run: { process_tracking_id: number; process_run_id: number; status: string; start: string; end: string | null }
  is_latest_run_true: number[]
  duplicate_process_run_ids: Record<string, number[]>
  active_runs: number[]
  trailing_failure_streak: number
  total_record_count: number
  sum_of_run_record_counts: number
  last_completed_run_date_time: string
  last_failed_run_date_time: string
  last_errored_run_date_time: string
  max_end_of_completed_runs: string | null
  max_end_of_failed_runs: string | null
  first_run_start: string
  errors: number
  errors_by_type: Record<string, number>
  actors: string[]
  named_runs: number
  sources: string[]
  targets: string[]
  source_objects: string[]
  target_objects: string[]
  source_object_attributes: string[]
  target_object_attributes: string[]
  dataset_types: string[]
  contacts: string[]
  clusters: string[]
}

export interface ManifestDatabase {
  row_counts: Record<string, number>
  lookups: {
    process_status_lkup: Record<string, number>
    extract_status_lkup: Record<string, number>
    error_type_lkup: Record<string, number>
    process_type_lkup: Record<string, number>
    schedule_frequency_lkup: Record<string, number>
    dependency_type_lkup: Record<string, number>
    actor_lkup: string[]
    tool_lkup: string[]
    system_lkup: Record<string, string>
  }
  processes: ManifestProcess[]
  runs_total: number
  runs_by_status: Record<string, number>
  process_dependencies: { parent: string; child: string; dependency_type: string }[]
  errors_total: number
  errors_by_type: Record<string, number>
  errors_on_runs_by_final_status: Record<string, number>
  errors_without_description_given: number
  extracts_total: number
  extracts_by_status: Record<string, number>
  extracts: {
    extract_id: number
    filename: string
    status: string
    location: string
    compression: string | null
    filetype: string | null
    registered: string
    write_count: number | null
    load_count: number | null
  }[]
  extract_process_links_by_status: Record<string, number>
  extract_process_links_by_process: Record<string, number>
  extract_dependencies: { parent: string; child: string; dependency_type: string }[]
  locations: { name: string; path: string; type: string; file_count: number | null; bucket: string | null; extracts: number }[]
  contacts: { name: string; email: string | null }[]
  source_contacts: { source: string; contact: string }[]
  clusters: {
    name: string
    max_memory: number | null
    memory_unit: string | null
    max_processing: number | null
    processing_unit: string | null
  }[]
  sources: { name: string; type: string }[]
  process_filters: { process: string; attribute: string; filter: string; value_string: string | null; value_numeric: string | null }[]
  sentinel_1900_dates: Record<string, number>
}

export interface Manifest {
  generator: { max_concurrent_failures: number }
  postgresql: ManifestDatabase
  mysql: ManifestDatabase
  quirks: { id: string; postgresql?: unknown; mysql?: unknown; count?: number }[]
}

export const MANIFEST = JSON.parse(readFileSync(`${FIXTURE_DIR}manifest.json`, 'utf8')) as Manifest

/** The quirk's facts for one database. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- manifest JSON: the caller names the shape it reads
export function quirk<T = unknown>(id: string, dialect: SourceDialect): T {
  const found = MANIFEST.quirks.find((entry) => entry.id === id)
  if (!found) throw new Error(`no quirk ${id} in the manifest`)
  const facts: unknown = found[dialect]
  return facts as T
}

/** A restored fixture database. */
export interface RestoredSource {
  dialect: SourceDialect
  /** Connection URL of the restored database. */
  url: string
  database: string
  drop(): Promise<void>
}

export const SOURCE_DIALECTS: SourceDialect[] = (['postgresql', 'mysql'] as const).filter((dialect) =>
  dialect === 'postgresql' ? Boolean(POSTGRES_URL) : Boolean(MYSQL_URL),
)

export const uniqueName = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

function run(command: string, args: string[], input?: string): void {
  const result = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.error) throw result.error
  if (result.status !== 0) throw new Error(`${command} failed (${String(result.status)}): ${result.stderr}`)
}

/** Creates an empty database on a test server; `restore` loads the fixture into it. */
export async function createSourceDatabase(dialect: SourceDialect, restore: boolean): Promise<RestoredSource> {
  const database = uniqueName('pt_py')
  if (dialect === 'postgresql') {
    const admin = requireUrl(POSTGRES_URL)
    const client = new pg.Client({ connectionString: admin })
    await client.connect()
    try {
      await client.query(`create database "${database}"`)
    } finally {
      await client.end()
    }
    const url = withDatabase(admin, database)
    if (restore) run('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', `${FIXTURE_DIR}postgresql.sql`])
    return {
      dialect,
      url,
      database,
      drop: async () => {
        const dropper = new pg.Client({ connectionString: admin })
        await dropper.connect()
        try {
          await dropper.query(`drop database if exists "${database}" with (force)`)
        } finally {
          await dropper.end()
        }
      },
    }
  }
  const admin = requireUrl(MYSQL_URL)
  const connection = await mysql.createConnection(admin)
  try {
    await connection.query(`create database \`${database}\``)
  } finally {
    await connection.end()
  }
  const url = withDatabase(admin, database)
  if (restore) {
    const parsed = new URL(url)
    const args = ['-h', parsed.hostname, '-P', parsed.port || '3306', '-u', decodeURIComponent(parsed.username || 'root')]
    if (parsed.password) args.push(`-p${decodeURIComponent(parsed.password)}`)
    run('mariadb', [...args, database], readFileSync(`${FIXTURE_DIR}mysql.sql`, 'utf8'))
  }
  return {
    dialect,
    url,
    database,
    drop: async () => {
      const dropper = await mysql.createConnection(admin)
      try {
        await dropper.query(`drop database if exists \`${database}\``)
      } finally {
        await dropper.end()
      }
    },
  }
}

function requireUrl(url: string | undefined): string {
  if (!url) throw new Error('source dialect enabled without its URL')
  return url
}

/**
 * Ends the import's source connection from outside, as a DBA or a crash would: the backend
 * (PostgreSQL) or connection (MySQL) reading `database` for processtracker import-python.
 */
export async function killSourceConnection(source: RestoredSource): Promise<number> {
  if (source.dialect === 'postgresql') {
    const client = new pg.Client({ connectionString: requireUrl(POSTGRES_URL) })
    await client.connect()
    try {
      const { rows } = await client.query<{ killed: boolean }>(
        `select pg_terminate_backend(pid) as killed from pg_stat_activity
         where datname = $1 and application_name = 'processtracker import-python' and pid <> pg_backend_pid()`,
        [source.database],
      )
      return rows.filter((row) => row.killed).length
    } finally {
      await client.end()
    }
  }
  const connection = await mysql.createConnection(requireUrl(MYSQL_URL))
  try {
    const [rows] = await connection.query('select id from information_schema.processlist where db = ? and id <> connection_id()', [
      source.database,
    ])
    const ids = (rows as { id: number }[]).map((row) => row.id)
    for (const id of ids) await connection.query(`kill ${Number(id)}`)
    return ids.length
  } finally {
    await connection.end()
  }
}
