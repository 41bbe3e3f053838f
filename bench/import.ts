/**
 * The import section: a Python ProcessTracker database of about 1,000,000 runs (the PostgreSQL
 * fixture restored into a scratch database, its runs multiplied by SQL) imported into a fresh
 * PostgreSQL schema by `importPythonDatabase`, in a worker process. Reports the wall time and the
 * worker's peak RSS, with RSS samples along the way (flat memory = the rows are streamed).
 */
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const FIXTURE = fileURLToPath(new URL('../../shared/fixtures/python-0.9/postgresql.sql', import.meta.url))
const WORKER = fileURLToPath(new URL('./workers/import-worker.mjs', import.meta.url))
/** Copies of the fixture's 228 runs added: 228 × (1 + 4,385) = 1,000,008 runs. */
const COPIES = 4385

export interface ImportResult {
  runs: number
  seedSeconds: number
  seconds: number
  peakRssBytes: number
  samples: { runsRead: number; rssBytes: number }[]
  mends: { kind: string; rows: number }[]
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Restores the fixture into `database` and multiplies its runs to about a million. */
export async function seedSource(base: string, database: string): Promise<string> {
  await admin(base, (client) => client.query(`create database "${database}"`))
  const url = withDatabase(base, database)
  const restore = spawnSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', FIXTURE], { encoding: 'utf8' })
  if (restore.status !== 0) throw new Error(`psql could not restore the fixture: ${restore.stderr}`)
  await admin(url, async (client) => {
    // Copy k of run t: tracking id t + 228k, run number t + 1000k (unique per process: the
    // fixture's highest is 167). Active and held copies are completed, so the mends stay few.
    await client.query(`
      insert into process_tracker.process_tracking
        (process_tracking_id, process_id, process_status_id, process_run_id, process_run_low_date_time,
         process_run_high_date_time, process_run_start_date_time, process_run_end_date_time, process_run_record_count,
         process_run_actor_id, is_latest_run, process_run_name, process_run_insert_count, process_run_update_count)
      select t.process_tracking_id + 228 * k, t.process_id,
             case when s.process_status_name in ('running', 'on hold') then (select process_status_id from process_tracker.process_status_lkup where process_status_name = 'completed') else t.process_status_id end,
             t.process_run_id + 1000 * k, t.process_run_low_date_time, t.process_run_high_date_time,
             t.process_run_start_date_time + make_interval(days => k), coalesce(t.process_run_end_date_time, t.process_run_start_date_time) + make_interval(days => k),
             t.process_run_record_count, t.process_run_actor_id, false, null, t.process_run_insert_count, t.process_run_update_count
      from process_tracker.process_tracking t
      join process_tracker.process_status_lkup s on s.process_status_id = t.process_status_id
      cross join generate_series(1, ${COPIES}) k`)
    await client.query('analyze')
  })
  return url
}

/** Runs the import section; `base` is PROCESS_TRACKER_BENCH_POSTGRES_URL. */
export async function measureImport(base: string, tag: string): Promise<ImportResult> {
  const sourceDb = `pt_bench_${tag}_python`
  const targetSchema = `pt_bench_${tag}_import`
  const t0 = performance.now()
  try {
    const from = await seedSource(base, sourceDb)
    const seedSeconds = (performance.now() - t0) / 1000
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [WORKER, JSON.stringify({ from, target: { url: base, schema: targetSchema } })], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let stdout = ''
      child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
      child.on('error', reject)
      child.on('close', (code) => {
        if (code === 0) resolve(stdout)
        else reject(new Error(`the import worker exited with ${String(code)}`))
      })
    })
    const result = JSON.parse(output) as Omit<ImportResult, 'seedSeconds'>
    return { ...result, seedSeconds }
  } finally {
    await admin(base, async (client) => {
      await client.query(`drop database if exists "${sourceDb}" with (force)`)
      await client.query(`drop schema if exists "${targetSchema}" cascade`)
    })
  }
}

/** The section as printed under the main table. */
export function formatImport(result: ImportResult): string {
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`
  const lines = [
    'Import of a Python ProcessTracker database into PostgreSQL (importPythonDatabase)',
    `  runs imported        ${result.runs.toLocaleString('en-US')}`,
    `  time                 ${result.seconds.toFixed(1)} s  (target < 120 s: ${result.seconds < 120 ? 'ok' : 'MISS'}); seeding the source took ${result.seedSeconds.toFixed(1)} s`,
    `  worker peak RSS      ${mib(result.peakRssBytes)}`,
    `  RSS while reading    ${result.samples.map((sample) => `${(sample.runsRead / 1000).toFixed(0)}k: ${mib(sample.rssBytes)}`).join(', ')}`,
    `  mends                ${result.mends.map((mend) => `${mend.kind} ${mend.rows}`).join(', ')}`,
  ]
  return lines.join('\n')
}
