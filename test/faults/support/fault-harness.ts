import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { requireBuild } from '../../support/build.ts'

const WORKER = fileURLToPath(new URL('./fault-worker.mjs', import.meta.url))

/** What one fault did to the clients: calls, their outcomes by code, and what went wrong. */
export interface FaultRow {
  fault: string
  calls: number
  codes: Map<string, number>
  raw: string[]
  crashes: string[]
  violations: string[]
  lost: string[]
  /** The first message seen per code. */
  samples: Map<string, string>
}

export interface WorkerSettings {
  url: string
  schema?: string
  processes: string[]
  slots: number
  lockTimeoutMs: number
  statementTimeoutMs: number
  poolSize: number
  clockSkewMs?: number
  /** Wait for {@link FaultFleet.go} before working. */
  paused?: boolean
}

interface Ack {
  processName: string
  count?: number
  completed: boolean
}

type RunRow = { id: number; name: string; count: number; status: string }

/** Reads the store's tables directly (not through processtracker) for the invariant checks. */
export interface Inspector {
  query<T>(text: string): Promise<T[]>
  close(): Promise<void>
}

export function inspectorFor(dialect: 'sqlite' | 'postgresql' | 'mysql', target: string): Inspector {
  if (dialect === 'sqlite') {
    const db = new Database(target, { readonly: true, timeout: 10_000 })
    return {
      query: <T>(text: string) => Promise.resolve(db.prepare(text).all() as T[]),
      close: () => {
        db.close()
        return Promise.resolve()
      },
    }
  }
  if (dialect === 'postgresql') {
    const connect = async () => {
      const client = new pg.Client({ connectionString: target })
      client.on('error', () => undefined)
      await client.connect()
      return client
    }
    return {
      async query<T>(text: string) {
        const client = await connect()
        try {
          return (await client.query(text)).rows as T[]
        } finally {
          await client.end().catch(() => undefined)
        }
      },
      close: () => Promise.resolve(),
    }
  }
  return {
    async query<T>(text: string) {
      const connection = await mysql.createConnection(target)
      connection.on('error', () => undefined)
      try {
        const [rows] = await connection.query(text)
        return rows as T[]
      } finally {
        await connection.end().catch(() => undefined)
      }
    },
    close: () => Promise.resolve(),
  }
}

/**
 * Worker processes running lifecycles, the tally of what each fault did to them, and the checks
 * run after each fault: the invariants of the run table and every acknowledged write.
 */
export class FaultFleet {
  readonly rows: FaultRow[] = []
  readonly #workers = new Set<ChildProcessWithoutNullStreams>()
  readonly #acks = new Map<number, Ack>()
  #row: FaultRow = FaultFleet.#newRow('(startup)')
  #okSinceMark = 0
  readonly #settings: WorkerSettings
  readonly #inspector: Inspector

  constructor(settings: WorkerSettings, inspector: Inspector) {
    this.#settings = settings
    this.#inspector = inspector
  }

  static #newRow(fault: string): FaultRow {
    return { fault, calls: 0, codes: new Map(), raw: [], crashes: [], violations: [], lost: [], samples: new Map() }
  }

  get workerPids(): number[] {
    return [...this.#workers].map((child) => child.pid ?? 0)
  }

  /** Starts `count` workers and waits until each has opened its store. */
  async spawn(count: number, extra: Partial<WorkerSettings> = {}): Promise<ChildProcessWithoutNullStreams[]> {
    requireBuild() // the workers run dist/
    const started: Promise<void>[] = []
    const children: ChildProcessWithoutNullStreams[] = []
    for (let i = 0; i < count; i++) {
      const child = spawn(process.execPath, [WORKER, JSON.stringify({ ...this.#settings, ...extra })], { stdio: ['pipe', 'pipe', 'pipe'] })
      children.push(child)
      this.#workers.add(child)
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      let ready!: () => void
      started.push(new Promise<void>((resolve) => (ready = resolve)))
      createInterface({ input: child.stdout }).on('line', (line) => {
        this.#receive(line, ready)
      })
      child.on('exit', (code, signal) => {
        this.#workers.delete(child)
        ready()
        // A worker ends by "stop" (code 0) or by our SIGKILL; anything else is a crash.
        if (code !== 0 && signal !== 'SIGKILL') this.#row.crashes.push(`worker exited ${String(code ?? signal)}: ${stderr.slice(-500)}`)
      })
    }
    const t0 = Date.now()
    await Promise.all(started)
    if (process.env.FAULTS_DEBUG) console.log(`spawned ${count} in ${Date.now() - t0} ms`)
    return children
  }

  #receive(line: string, ready: () => void): void {
    let message: Record<string, unknown>
    try {
      message = JSON.parse(line) as Record<string, unknown>
    } catch {
      return
    }
    const row = this.#row
    switch (message.type) {
      case 'ready':
        ready()
        break
      case 'call': {
        const code = String(message.code)
        row.calls++
        row.codes.set(code, (row.codes.get(code) ?? 0) + 1)
        if (code === 'ok') this.#okSinceMark++
        else if (!row.samples.has(code)) row.samples.set(code, String(message.message).slice(0, 300))
        if (code === 'RAW') row.raw.push(`${String(message.name)}: ${String(message.message).slice(0, 400)}`)
        break
      }
      case 'crash':
        row.crashes.push(`${String(message.kind)}: ${String(message.message).slice(0, 400)}`)
        break
      case 'ack': {
        const id = Number(message.id)
        const ack = this.#acks.get(id) ?? { processName: String(message.processName), completed: false }
        if (message.kind === 'count') ack.count = Number(message.count)
        if (message.kind === 'complete') ack.completed = true
        this.#acks.set(id, ack)
        break
      }
    }
  }

  /** Lets paused workers start working. */
  go(children: ChildProcessWithoutNullStreams[]): void {
    for (const child of children) child.stdin.write('go\n')
  }

  /** Stops `child` with SIGKILL (a client that died mid-call). */
  async kill(child: ChildProcessWithoutNullStreams): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }

  /** Asks every worker (or the given ones) to finish its current call and exit. */
  async stop(children: ChildProcessWithoutNullStreams[] = [...this.#workers]): Promise<void> {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = once(child, 'exit')
        child.stdin.write('stop\n')
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
        await exited
        clearTimeout(timer)
      }),
    )
  }

  /**
   * Runs one fault: tallies the clients' calls from its start, injects it, waits until the clients
   * succeed again (the database recovered), then checks the invariants and the acknowledged writes.
   */
  async fault(name: string, inject: () => Promise<void>): Promise<FaultRow> {
    this.#row = FaultFleet.#newRow(name)
    this.rows.push(this.#row)
    const row = this.#row
    const t0 = Date.now()
    await inject()
    const t1 = Date.now()
    this.#okSinceMark = 0
    const deadline = Date.now() + 60_000
    while (this.#okSinceMark < 25 && this.#workers.size > 0) {
      if (Date.now() > deadline) {
        row.violations.push('the clients did not recover within 60 s of the fault')
        break
      }
      await sleep(50)
    }
    const t2 = Date.now()
    await this.check(row)
    if (process.env.FAULTS_DEBUG) console.log(row.samples, row.crashes, row.violations)
    if (process.env.FAULTS_DEBUG) console.log(`${name}: inject ${t1 - t0} ms, recover ${t2 - t1} ms, check ${Date.now() - t2} ms`)
    return row
  }

  /** The run-table invariants, and every acknowledged write present. */
  async check(row: FaultRow): Promise<void> {
    // Only writes acknowledged before the reads below: a write is acknowledged after it committed,
    // so each of these must be in what the reads see.
    const acks = [...this.#acks].map(([id, ack]) => [id, { ...ack }] as const)
    const q = this.#inspector
    const found = async (what: string, text: string) => {
      for (const bad of await q.query<Record<string, unknown>>(text)) row.violations.push(`${what}: ${JSON.stringify(bad)}`)
    }
    await found(
      'a process without exactly one latest run',
      'select process_id, count(*) as runs, sum(case when is_latest_run then 1 else 0 end) as latest from process_tracking group by process_id having sum(case when is_latest_run then 1 else 0 end) <> 1',
    )
    await found(
      'a duplicate run number',
      'select process_id, process_run_id, count(*) as n from process_tracking group by process_id, process_run_id having count(*) > 1',
    )
    await found(
      'a process with two active runs',
      "select t.process_id, count(*) as n from process_tracking t join process_status_lkup s on s.process_status_id = t.process_status_id where s.process_status_category = 'active' group by t.process_id having count(*) > 1",
    )
    await found(
      'a run that ended before it started',
      'select process_tracking_id, process_run_start_date_time, process_run_end_date_time from process_tracking where process_run_end_date_time < process_run_start_date_time',
    )
    const runs = await q.query<RunRow>(
      'select t.process_tracking_id as id, p.process_name as name, t.process_run_record_count as count, s.process_status_name as status from process_tracking t join process p on p.process_id = t.process_id join process_status_lkup s on s.process_status_id = t.process_status_id',
    )
    const byId = new Map(runs.map((run) => [Number(run.id), run]))
    for (const [id, ack] of acks) {
      const run = byId.get(id)
      if (!run || run.name !== ack.processName) row.lost.push(`run ${id} of ${ack.processName} (start acknowledged)`)
      else if (ack.count !== undefined && Number(run.count) !== ack.count)
        row.lost.push(`run ${id}: record count ${ack.count} acknowledged, ${String(run.count)} stored`)
      else if (ack.completed && run.status !== 'completed') row.lost.push(`run ${id}: completion acknowledged, status ${run.status}`)
    }
  }

  get acknowledged(): number {
    return this.#acks.size
  }
}

/** The suite's table: one line per fault. */
export function formatTable(title: string, rows: FaultRow[], acknowledged: number): string {
  const lines = [
    `${title} — ${acknowledged} runs acknowledged`,
    '| fault | calls | errors by code | raw | crashes | violations | lost |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const row of rows) {
    const codes = [...row.codes.entries()]
      .filter(([code]) => code !== 'ok')
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => `${code} ${n}`)
      .join(', ')
    lines.push(
      `| ${row.fault} | ${row.calls} | ${codes || '—'} | ${row.raw.length} | ${row.crashes.length} | ${row.violations.length} | ${row.lost.length} |`,
    )
  }
  return lines.join('\n')
}
