import type { BoundResult } from './bound.ts'
import type { HttpListResult, HttpRateResult } from './http.ts'
import { LINEAGE_GOAL, type LineageResult } from './lineage-rate.ts'
import type { ContentionResult } from './contention.ts'
import type { DashboardResult } from './dashboard.ts'
import type { BenchDialect, ServerFacts } from './databases.ts'
import type { FindersResult } from './finders.ts'
import type { HistoryResult } from './history.ts'
import type { RegistrationResult } from './registration.ts'
import { mean } from './stats.ts'
import { STEPS, type ClientsResult, type OneClientResult } from './lifecycle.ts'

/** Everything measured on one database. A section that failed has its message in `errors`. */
export interface DialectResult {
  dialect: BenchDialect
  where: string
  server?: ServerFacts
  bound?: BoundResult
  oneClient?: OneClientResult
  clients?: ClientsResult
  contention?: ContentionResult
  history?: HistoryResult
  finders?: FindersResult
  registration?: RegistrationResult
  httpRate?: HttpRateResult
  httpList?: HttpListResult
  lineage?: LineageResult
  errors: Record<string, string>
  seconds: number
}

export interface Environment {
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string; kernel: string }
  /** 1, 5 and 15-minute load averages when the benchmark started and ended (other work skews figures). */
  loadAverage: { start: number[]; end: number[] }
  node: string
  packages: Record<string, string>
}

/** The whole report: what `--json FILE` writes. */
export interface BenchReport {
  startedAt: string
  scale: string
  tag: string
  environment: Environment
  dialects: DialectResult[]
  skipped: { dialect: BenchDialect; reason: string }[]
  benchPeakRssBytes: number
  totalSeconds: number
  /** The dashboard overview in Chromium (dashboard.md: usable within 1 second). */
  dashboard?: DashboardResult
}

const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a')
const dec = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a')
const ms = (value: number) => (Number.isFinite(value) ? `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms` : 'n/a')
const mib = (bytes: number) => (Number.isFinite(bytes) ? `${Math.round(bytes / 2 ** 20)} MiB` : 'n/a')
const mark = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? '  ok' : '  MISS')

/** The one-client target: SQLite ≥ 1,500/s; servers ≥ 80 % of bound ÷ 6, and PostgreSQL ≥ 150/s. */
export function oneClientTarget(result: DialectResult): number | undefined {
  if (result.dialect === 'sqlite') return 1500
  if (!result.bound) return undefined
  const fraction = (0.8 * result.bound.commitsPerSecond) / 6
  return result.dialect === 'postgresql' ? Math.max(150, fraction) : fraction
}

interface Row {
  label: string
  target: string
  cell: (result: DialectResult) => string | undefined
}

const ROWS: Row[] = [
  {
    label: 'HTTP lifecycles/s, 8 keep-alive clients (serve)',
    target: 'reported',
    cell: (r) => r.httpRate && `${int(r.httpRate.lifecyclesPerSecond)}/s`,
  },
  {
    label: '  ÷ library lifecycles/s, 8 clients',
    target: '≥ 70 %',
    cell: (r) => (r.httpRate?.ratio == null ? undefined : `${int(r.httpRate.ratio * 100)} %${mark(r.httpRate.ratio >= 0.7)}`),
  },
  {
    label: '  CPU per HTTP lifecycle, clients / server',
    target: 'reported',
    cell: (r) => r.httpRate && `${ms(r.httpRate.clientCpuMs)} / ${ms(r.httpRate.serverCpuMs)}`,
  },
  {
    label: 'GET /api/v1/runs p99 (page of 50, N runs in table)',
    target: '≤ 20 ms',
    cell: (r) => r.httpList && `${ms(r.httpList.listRuns.p99Ms)} (${int(r.httpList.runsInTable)})${mark(r.httpList.listRuns.p99Ms <= 20)}`,
  },
  {
    label: '  ?process= p99 / ?status= p99',
    target: 'reported',
    cell: (r) => r.httpList && `${ms(r.httpList.listRunsByProcess.p99Ms)} / ${ms(r.httpList.listRunsByStatus.p99Ms)}`,
  },
  {
    label: 'durable-commit bound (1 client, INSERT+COMMIT/s)',
    target: 'reported',
    cell: (r) => r.bound && `${int(r.bound.commitsPerSecond)}/s`,
  },
  {
    label: '  ÷ 6 commits = lifecycle ceiling',
    target: 'reported',
    cell: (r) => r.bound && `${int(r.bound.commitsPerSecond / 6)}/s`,
  },
  {
    label: '  SQLite with synchronous=FULL (reference)',
    target: 'reported',
    cell: (r) => (r.bound?.fullSyncCommitsPerSecond === undefined ? undefined : `${int(r.bound.fullSyncCommitsPerSecond)}/s`),
  },
  {
    label: '  plain round trips (select 1/s)',
    target: 'reported',
    cell: (r) => r.bound && `${int(r.bound.roundTripsPerSecond)}/s`,
  },
  {
    label: '  model: commits÷bound + other statements÷round trips',
    target: 'reported',
    cell: (r) => {
      const model = modelRate(r)
      return model === undefined ? undefined : `${int(model)}/s`
    },
  },
  {
    label: 'lifecycles/s, 1 client',
    target: 'SQLite ≥ 1,500; PG/MySQL ≥ 80% of bound÷6; PG ≥ 150',
    cell: (r) => {
      if (!r.oneClient) return undefined
      const target = oneClientTarget(r)
      const ofBound = r.bound ? ` (${dec((100 * r.oneClient.lifecyclesPerSecond) / (r.bound.commitsPerSecond / 6), 0)}% of bound÷6)` : ''
      const goal = target === undefined ? undefined : r.oneClient.lifecyclesPerSecond >= target
      return `${int(r.oneClient.lifecyclesPerSecond)}/s${r.dialect === 'sqlite' ? '' : ofBound}${mark(goal)}`
    },
  },
  {
    label: 'lifecycles/s, 8 clients (total ÷ slowest)',
    target: 'PG ≥ 400',
    cell: (r) =>
      r.clients &&
      `${int(r.clients.lifecyclesPerSecond)}/s${mark(r.dialect === 'postgresql' ? r.clients.lifecyclesPerSecond >= 400 : undefined)}`,
  },
  {
    label: '  client CPU per lifecycle, 1 / 8 clients',
    target: 'PG 1 client ≤ 1.5 ms',
    cell: (r) =>
      r.oneClient &&
      `${ms(r.oneClient.clientCpuMsPerLifecycle)} / ${r.clients ? ms(r.clients.clientCpuMsPerLifecycle) : 'n/a'}${mark(r.dialect === 'postgresql' ? r.oneClient.clientCpuMsPerLifecycle <= 1.5 : undefined)}`,
  },
  {
    label: '  warm-up lifecycles until a steady rate, 1 / 8 clients (max)',
    target: 'reported',
    cell: (r) => r.oneClient && `${int(r.oneClient.warmedUp)} / ${r.clients ? int(Math.max(...r.clients.warmedUpPerWorker)) : 'n/a'}`,
  },
  {
    label: 'statements per lifecycle',
    target: '≤ 25 (Python: 37); PG ≤ 8',
    cell: (r) =>
      r.oneClient &&
      `${dec(r.oneClient.statementsPerLifecycle)}${mark(r.oneClient.statementsPerLifecycle <= (r.dialect === 'postgresql' ? 8 : 25))}`,
  },
  {
    label: 'commits per lifecycle',
    target: '6',
    cell: (r) => r.oneClient && `${dec(r.oneClient.commitsPerLifecycle)}${mark(Math.abs(r.oneClient.commitsPerLifecycle - 6) < 0.05)}`,
  },
  {
    label: 'lineage on, receiver down ÷ off (1 client)',
    target: 'within 10 % (lineage.md)',
    cell: (r) =>
      r.lineage && `${r.lineage.change >= 0 ? '+' : ''}${dec(r.lineage.change * 100)} %${mark(r.lineage.change >= LINEAGE_GOAL)}`,
  },
  {
    label: '  lifecycles/s off / on (mean of each run)',
    target: 'reported',
    cell: (r) => r.lineage && `${int(mean(r.lineage.offRates))} / ${int(mean(r.lineage.onRates))}/s`,
  },
  {
    label: '  client CPU per lifecycle off / on',
    target: 'reported',
    cell: (r) => r.lineage && `${ms(r.lineage.clientCpuMs.off)} / ${ms(r.lineage.clientCpuMs.on)}`,
  },
  {
    label: 'start under contention (16 procs), winner p50',
    target: 'reported',
    cell: (r) => r.contention && ms(r.contention.winner.p50Ms),
  },
  {
    label: '  winner p99',
    target: '≤ 50 ms (PG, SQLite)',
    cell: (r) => r.contention && `${ms(r.contention.winner.p99Ms)}${mark(contended(r, r.contention.winner.p99Ms))}`,
  },
  {
    label: '  winner statements per start',
    target: 'reported',
    cell: (r) => r.contention && dec(r.contention.winner.statementsPerAttempt),
  },
  {
    label: '  losers p50',
    target: 'reported',
    cell: (r) => r.contention && ms(r.contention.losers.p50Ms),
  },
  {
    label: '  losers p99',
    target: '≤ 50 ms (PG, SQLite)',
    cell: (r) => r.contention && `${ms(r.contention.losers.p99Ms)}${mark(contended(r, r.contention.losers.p99Ms))}`,
  },
  {
    label: '  loser statements per start',
    target: 'reported',
    cell: (r) => r.contention && dec(r.contention.losers.statementsPerAttempt),
  },
  {
    label: '  rounds with exactly one winner',
    target: 'all (Python: 2 winners of 8)',
    cell: (r) =>
      r.contention &&
      `${r.contention.roundsWithOneWinner}/${r.contention.rounds}${mark(r.contention.roundsWithOneWinner === r.contention.rounds)}`,
  },
  {
    label: 'findExtractsByLocation p50 (100 ready)',
    target: '≤ 5 ms',
    cell: (r) =>
      r.finders &&
      `${ms(r.finders.findByLocation.p50Ms)} (${dec(r.finders.findByLocation.statementsPerCall)} st.)${mark(r.finders.findByLocation.p50Ms <= 5)}`,
  },
  {
    label: 'claimExtracts(limit 10) p50',
    target: '≤ 5 ms',
    cell: (r) =>
      r.finders && `${ms(r.finders.claim.p50Ms)} (${dec(r.finders.claim.statementsPerCall)} st.)${mark(r.finders.claim.p50Ms <= 5)}`,
  },
  {
    label: '  extracts / locations seeded',
    target: '1,000,000 / 10,000',
    cell: (r) => r.finders && `${int(r.finders.extracts)} / ${int(r.finders.locations)}`,
  },
  {
    label: 'start+complete p50, 100,000 past runs',
    target: 'reported',
    cell: (r) => r.history && `${ms(r.history.big.p50Ms)} (${dec(r.history.big.statementsPerCall)} st.)`,
  },
  {
    label: 'start+complete p50, 10 past runs',
    target: 'reported',
    cell: (r) => r.history && `${ms(r.history.small.p50Ms)} (${dec(r.history.small.statementsPerCall)} st.)`,
  },
  {
    label: '  ratio',
    target: '≤ 1.5',
    cell: (r) => r.history && `${dec(r.history.ratio, 2)}×${mark(r.history.ratio <= 1.5)}`,
  },
  {
    label: 'registerExtractsByLocation, new files',
    target: '≤ 10 s at 100,000 (PostgreSQL)',
    cell: (r) =>
      r.registration &&
      `${dec(r.registration.newSeconds, 1)} s for ${int(r.registration.files)} (${int(r.registration.statementsNew)} st.)${mark(r.registration.newSeconds <= (10 * r.registration.files) / 100_000)}`,
  },
  {
    label: '  the same files again',
    target: 'reported',
    cell: (r) => r.registration && `${dec(r.registration.existingSeconds, 1)} s (${int(r.registration.statementsExisting)} st.)`,
  },
  {
    label: '  RSS growth, both results held',
    target: 'reported',
    cell: (r) => r.registration && mib(r.registration.rssGrowthBytes),
  },
  {
    label: 'peak RSS, lifecycle worker (1 client)',
    target: 'reported',
    cell: (r) => r.oneClient && mib(r.oneClient.workerPeakRssBytes),
  },
  {
    label: 'peak RSS, largest of 8 + 16 workers',
    target: 'reported',
    cell: (r) => {
      const all = [...(r.clients?.workerPeakRssBytes ?? []), ...(r.contention?.workerPeakRssBytes ?? [])]
      return all.length === 0 ? undefined : mib(Math.max(...all))
    },
  },
  {
    label: 'section time',
    target: '',
    cell: (r) => `${int(r.seconds)} s`,
  },
]

/**
 * What the one-client lifecycle would do if each statement cost exactly what the bound measured:
 * a committing statement the bound's INSERT + COMMIT, any other a plain round trip. The gap between
 * this and the measured rate is client-side work (query building, driver) and heavier statements.
 */
export function modelRate(r: DialectResult): number | undefined {
  if (!r.bound || !r.oneClient) return undefined
  const { statementsPerLifecycle: statements, commitsPerLifecycle: commits } = r.oneClient
  const seconds = commits / r.bound.commitsPerSecond + (statements - commits) / r.bound.roundTripsPerSecond
  return 1 / seconds
}

function contended(r: DialectResult, p99: number): boolean | undefined {
  return r.dialect === 'mysql' ? undefined : p99 <= 50
}

/** Pads every column to its widest cell. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join(' | ')
      .trimEnd()
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n')
}

/** The readable report: environment, the figures table (one column per database), the per-call breakdown. */
export function formatReport(report: BenchReport): string {
  const { environment: env, dialects } = report
  const lines: string[] = []
  lines.push(`processtracker ${env.packages.processtracker ?? '?'} benchmark, scale ${report.scale}, ${report.startedAt}`)
  lines.push(
    `machine: ${env.machine.cpus} × ${env.machine.cpuModel}, ${dec(env.machine.memoryGiB, 0)} GiB, ${env.machine.os} (Linux ${env.machine.kernel})`,
  )
  lines.push(
    `Node.js ${env.node}; ${Object.entries(env.packages)
      .filter(([name]) => name !== 'processtracker')
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
  )
  lines.push(
    `load average at start ${env.loadAverage.start.map((load) => dec(load, 2)).join(' ')}, at end ${env.loadAverage.end.map((load) => dec(load, 2)).join(' ')}`,
  )
  for (const r of dialects) {
    const settings = r.server
      ? Object.entries(r.server.durability)
          .map(([key, value]) => `${key}=${value}`)
          .join(', ')
      : 'n/a'
    lines.push(`${r.dialect}: ${r.server?.version ?? 'version unknown'}; ${settings}; data in ${r.where}`)
  }
  for (const skipped of report.skipped) lines.push(`${skipped.dialect}: not run (${skipped.reason})`)
  lines.push('')

  const header = ['figure', ...dialects.map((r) => r.dialect), 'target']
  const rows = ROWS.map((row) => [row.label, ...dialects.map((r) => row.cell(r) ?? '-'), row.target]).filter((cells) =>
    cells.slice(1, -1).some((cell) => cell !== '-'),
  )
  lines.push(table(header, rows))
  lines.push('')

  lines.push('one-client lifecycle, per call (statements / commits / mean time):')
  const stepRows = STEPS.map((step) => [
    step,
    ...dialects.map((r) => {
      const figures = r.oneClient?.perCall[step]
      return figures ? `${dec(figures.statements)} / ${dec(figures.commits)} / ${ms(figures.ms)}` : '-'
    }),
  ])
  lines.push(table(['call', ...dialects.map((r) => r.dialect)], stepRows))
  lines.push('')

  for (const r of dialects) {
    for (const [section, message] of Object.entries(r.errors)) lines.push(`!! ${r.dialect} ${section} failed: ${message}`)
  }
  const board = report.dashboard
  if (board !== undefined) {
    lines.push(
      'skipped' in board
        ? `dashboard: skipped, ${board.skipped}`
        : 'failed' in board
          ? `!! dashboard failed: ${board.failed}`
          : `dashboard: overview of ${int(board.processes)} processes renders in ${int(board.medianMs)} ms (median of ${String(board.loads)} loads, Chromium, loopback serve on SQLite; target ≤ 1,000 ms)${mark(board.medianMs <= 1000)}`,
    )
  }
  lines.push(`benchmark process peak RSS ${mib(report.benchPeakRssBytes)}; total ${int(report.totalSeconds)} s`)
  return lines.join('\n')
}
