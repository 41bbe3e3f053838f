/**
 * Prometheus metrics (http.md "Operations"): request counts and durations by route, method and
 * status, starts allowed and refused by rule, and gauges read from the database at scrape time.
 * Each server has its own registry, so several servers in one process (tests) do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { ProcessTrackerError } from '../errors.ts'
import type { DataStore } from '../api/data-store.ts'
import { readStoreGauges } from './metric-queries.ts'

export class ServerMetrics {
  readonly registry = new Registry()
  readonly #requests: Counter
  readonly #durations: Histogram
  readonly #starts: Counter

  constructor(store: DataStore) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix: 'processtracker_server_' })
    this.#requests = new Counter({
      name: 'processtracker_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    })
    this.#durations = new Histogram({
      name: 'processtracker_http_request_duration_seconds',
      help: 'HTTP request durations by route, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    })
    this.#starts = new Counter({
      name: 'processtracker_starts_total',
      help: 'Starts through this server: allowed, or refused by rule',
      labelNames: ['outcome', 'rule'],
      registers,
    })
    // Read at scrape time from the database: one query set feeds all five gauges.
    let pending: Promise<Awaited<ReturnType<typeof readStoreGauges>>> | null = null
    const gauges = () => (pending ??= readStoreGauges(store).finally(() => setTimeout(() => (pending = null), 0)))
    new Gauge({
      name: 'processtracker_active_runs',
      help: 'Runs that are active now (every writer)',
      registers,
      async collect() {
        this.set((await gauges()).activeRuns)
      },
    })
    new Gauge({
      name: 'processtracker_on_hold_processes',
      help: 'Processes whose latest run is on hold',
      registers,
      async collect() {
        this.set((await gauges()).onHoldProcesses)
      },
    })
    new Gauge({
      name: 'processtracker_stale_runs',
      help: 'Active runs whose heartbeat is older than their timeout',
      registers,
      async collect() {
        this.set((await gauges()).staleRuns)
      },
    })
    new Gauge({
      name: 'processtracker_runs',
      help: 'Runs by status',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset()
        for (const { status, count } of (await gauges()).runsByStatus) this.set({ status }, count)
      },
    })
    new Gauge({
      name: 'processtracker_process_last_completed_timestamp_seconds',
      help: 'End of the last completed run of each process, in seconds since the epoch',
      labelNames: ['process'],
      registers,
      async collect() {
        this.reset()
        for (const { processName, at } of (await gauges()).lastCompleted) this.set({ process: processName }, at.getTime() / 1000)
      },
    })
  }

  /** Counts one answered request. */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method, status: String(status) }
    this.#requests.inc(labels)
    this.#durations.observe(labels, seconds)
  }

  /** Counts a start: null when allowed, else the refusal. */
  countStart(refusal: ProcessTrackerError | null): void {
    if (!refusal) {
      this.#starts.inc({ outcome: 'allowed', rule: '' })
      return
    }
    const rule = (refusal.details as { rule?: unknown }).rule
    if (typeof rule === 'string') this.#starts.inc({ outcome: 'refused', rule })
  }
}
