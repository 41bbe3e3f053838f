/**
 * The runs the HTTP routes act on, by tracking id.
 *
 * A request names its run by id, and rebuilding the run object for each one
 * (`ProcessTracker.resume`: the run, its sources and its targets, three queries) cost more than most
 * writes themselves. So each server keeps the run objects it started or resumed, the
 * {@link MAX_RUNS} most recently used, as a long-lived library worker keeps its own. Nothing in them
 * is trusted over the database: ids and the process name never change for a run; the record count
 * is only the "previous value" of a compare-and-set (another writer's count makes it read the real
 * one); every write carries its own "while the run is active" guard. A run changed by another server
 * or by a library user on another machine is therefore handled exactly as the library handles it,
 * and the server still holds no fact of its own.
 */
import type { DataStore } from '../api/data-store.ts'
import { ProcessTracker } from '../api/process-tracker.ts'
import type { StartHooks } from '../tracker/start.ts'
import type { StartOptions } from '../tracker/start-options.ts'
import type { RunView } from '../tracker/run-views.ts'
import { contextOf } from '../store/context.ts'
import { getRun } from '../tracker/run-views.ts'
import { beat } from '../tracker/run-writes.ts'
import type { ViewSink } from '../tracker/view-sink.ts'

/** Run objects kept per server: far more than the runs active at once, little memory. */
export const MAX_RUNS = 10_000

export class RunActions {
  readonly #store: DataStore
  readonly #runs = new Map<number, Promise<ProcessTracker>>()

  constructor(store: DataStore) {
    this.#store = store
  }

  /** Starts a run (the library's start, with the API's hooks) and keeps its object for the writes to come. */
  async start(options: StartOptions, hooks?: StartHooks): Promise<ProcessTracker> {
    const run = await ProcessTracker.start(this.#store, options, hooks)
    this.#keep(run.processTrackingId, Promise.resolve(run))
    return run
  }

  /**
   * The run object for a tracking id: the kept one, else resumed (and kept). Requests racing for
   * the same unknown run share one resume.
   *
   * @throws NotFoundError for an unknown run (nothing is kept).
   */
  run(processTrackingId: number): Promise<ProcessTracker> {
    const kept = this.#runs.get(processTrackingId)
    if (kept) {
      // Most recently used last: the first key is the one to drop.
      this.#runs.delete(processTrackingId)
      this.#runs.set(processTrackingId, kept)
      return kept
    }
    const resumed = ProcessTracker.resume(this.#store, processTrackingId)
    this.#keep(processTrackingId, resumed)
    resumed.catch(() => {
      if (this.#runs.get(processTrackingId) === resumed) this.#runs.delete(processTrackingId)
    })
    return resumed
  }

  /**
   * A heartbeat, answered with the run's view: on PostgreSQL the beat's own statement reads it. A run
   * no longer active gets the library's own answer (`RunNotActiveError`, which stops the worker).
   */
  async heartbeat(processTrackingId: number): Promise<{ run: RunView }> {
    const run = await this.run(processTrackingId)
    const sink: ViewSink = {}
    if (!(await beat(contextOf(this.#store), run, sink))) await run.heartbeat()
    return sink.view ? { run: sink.view } : this.view(processTrackingId)
  }

  /** What a write answers: the run view as the database has it now (one statement). */
  async view(processTrackingId: number): Promise<{ run: RunView }> {
    return { run: await getRun(contextOf(this.#store), processTrackingId) }
  }

  #keep(processTrackingId: number, run: Promise<ProcessTracker>): void {
    this.#runs.delete(processTrackingId)
    this.#runs.set(processTrackingId, run)
    if (this.#runs.size > MAX_RUNS) {
      const oldest = this.#runs.keys().next().value
      if (oldest !== undefined) this.#runs.delete(oldest)
    }
  }
}
