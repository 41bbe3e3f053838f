import { InvalidStatusError, ProcessHaltedError, RunNotActiveError, ValidationError } from '../errors.ts'
import type { ExtractTracker } from './extract-tracker.ts'
import * as extractMethods from './run-extract-methods.ts'
import type { ClaimOptions, LocationFilter, RegisterByLocationOptions, StatusFilter } from './run-extract-methods.ts'
import type { DataStore } from './data-store.ts'
import { contextOf, type StoreContext } from '../store/context.ts'
import { single } from '../store/transaction.ts'
import {
  findProcessContacts,
  findProcessFilters,
  findProcessSourceAttributes,
  findProcessTargetAttributes,
  type ProcessContact,
  type ProcessFilter,
  type SourceAttribute,
  type TargetAttribute,
} from '../tracker/process-finders.ts'
import { readRunRecord, readSideNames, type RunRecord } from '../tracker/run-record.ts'
import * as writes from '../tracker/run-writes.ts'
import { startRun, type StartHooks } from '../tracker/start.ts'
import { validateStartOptions, type StartOptions } from '../tracker/start-options.ts'
import { COMPLETED, FAILED } from '../store/process-statuses.ts'
import { checkDate, checkName, checkOptionalDate, checkPlainObject, checkText, truncateCodePoints } from '../tracker/validation.ts'
import { viewSinkOf } from '../tracker/view-sink.ts'

/**
 * One run of a process. `ProcessTracker.start` registers it (or refuses, with a coded error); its
 * methods record what the run did. Every change is durable when its promise resolves, and every
 * change to a run that is no longer active throws {@link RunNotActiveError}.
 *
 * @example
 * ```ts
 * const run = await ProcessTracker.start(store, { processName: 'Lahman Teams Load', processType: 'Load' })
 * await run.setRecordCount(10_000)
 * await run.complete()
 * ```
 */
export class ProcessTracker {
  readonly store: DataStore
  /** The run's global id: what `resume` takes. */
  readonly processTrackingId: number
  /** 1, 2, 3 … per process, never duplicated. */
  readonly processRunId: number
  readonly processId: number
  readonly processName: string
  readonly processRunName: string | null
  /** The run's OpenLineage runId: a UUIDv7 made at start, unique (since 0.2). */
  readonly runUuid: string
  /** Source names: those given to `start`, or every source linked to the process after `resume`. */
  readonly sources: readonly string[]
  readonly targets: readonly string[]
  #status: string
  /** The record count this object last wrote or read (see setRecordCount). */
  #recordCount: number
  readonly #abort = new AbortController()
  readonly #heartbeatTimeoutSeconds: number | null
  #heartbeatTimer: NodeJS.Timeout | undefined

  private constructor(store: DataStore, record: RunRecord, sources: readonly string[], targets: readonly string[]) {
    this.store = store
    this.processTrackingId = record.processTrackingId
    this.processRunId = record.processRunId
    this.processId = record.processId
    this.processName = record.processName
    this.processRunName = record.processRunName
    this.runUuid = record.runUuid
    this.#status = record.status
    this.#recordCount = record.recordCount
    this.#heartbeatTimeoutSeconds = record.heartbeatTimeoutSeconds
    this.sources = sources
    this.targets = targets
  }

  /**
   * Registers a new run of a process, or refuses it. The rules (in order): a direct parent whose
   * latest run is active, failed or on hold blocks (`DependencyBlockedError`); an active latest run
   * blocks (`ProcessRunningError`); a held one blocks (`ProcessOnHoldError`); a failure streak of
   * `max_concurrent_failures` records an `on hold` run and blocks (`ProcessOnHoldError`).
   *
   * @throws ValidationError for bad options, before anything is written.
   * @param hooks - internal: work added to the start's transaction (the HTTP API's idempotency keys).
   */
  static async start(store: DataStore, options: StartOptions, hooks?: StartHooks): Promise<ProcessTracker> {
    const valid = validateStartOptions(options)
    const started = await startRun(contextOf(store), valid, hooks)
    return new ProcessTracker(
      store,
      { ...started, heartbeatTimeoutSeconds: valid.heartbeatTimeoutSeconds, recordCount: 0 },
      [...valid.sources.keys()],
      [...valid.targets.keys()],
    )
  }

  /** Rebuilds a run object from its `processTrackingId`, e.g. in another worker. */
  static async resume(store: DataStore, processTrackingId: number): Promise<ProcessTracker> {
    if (typeof processTrackingId !== 'number' || !Number.isSafeInteger(processTrackingId) || processTrackingId < 1) {
      throw new ValidationError(`processTrackingId must be a positive whole number, not ${String(processTrackingId)}.`)
    }
    const ctx = contextOf(store)
    try {
      const record = await readRunRecord(ctx, ctx.db, processTrackingId)
      const [sources, targets] = await Promise.all([
        readSideNames(ctx.db, record.processId, 'source'),
        readSideNames(ctx.db, record.processId, 'target'),
      ])
      return new ProcessTracker(store, record, sources, targets)
    } catch (error) {
      throw ctx.translate(error)
    }
  }

  /**
   * Starts a run, runs `work`, and completes the run if it is still active. When `work` throws, a
   * `Process Error` with the message is recorded and the run failed (if still active); the original
   * error is rethrown.
   */
  static async track<T>(store: DataStore, options: StartOptions, work: (run: ProcessTracker) => Promise<T>): Promise<T> {
    const run = await ProcessTracker.start(store, options)
    let value: T
    try {
      value = await work(run)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      // The caller's error is what matters: a failure to record it is logged, not thrown over it.
      await run.#failIfActive('Process Error', truncateCodePoints(message || 'Unspecified error.', 750)).catch((failure: unknown) => {
        contextOf(store).logger.error({ err: failure, processTrackingId: run.processTrackingId }, 'could not record the failure')
      })
      throw error
    }
    await run.#completeIfActive()
    return value
  }

  get #ctx(): StoreContext {
    return contextOf(this.store)
  }

  /** The status when last read or changed through this object; `refresh()` re-reads it. */
  get status(): string {
    return this.#status
  }

  /** Aborted when the run is reaped or finished elsewhere (noticed at the next heartbeat). */
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  /** Re-reads the run's status. */
  async refresh(): Promise<string> {
    const ctx = this.#ctx
    const record = await single(ctx, (db) => readRunRecord(ctx, db, this.processTrackingId))
    this.#status = record.status
    this.#recordCount = record.recordCount
    return record.status
  }

  /**
   * Moves the run to a status: any status but `released` from an active one. `completed` and `failed` (and custom
   * statuses of those categories) end the run and stamp the process's last completed / failed time.
   *
   * @throws InvalidStatusError "The provided status type NAME is invalid."
   * @throws RunNotActiveError when the run is no longer active.
   */
  async changeRunStatus(status: string, options: { endDate?: Date } = {}): Promise<void> {
    if (typeof status !== 'string') throw new InvalidStatusError(`The provided status type ${String(status)} is invalid.`)
    const endDate = checkOptionalDate(checkPlainObject(options, 'options').endDate, 'endDate')
    try {
      const changed = await writes.changeRunStatus(this.#ctx, this, status, endDate, viewSinkOf(options))
      this.#status = changed.status
      if (changed.ended) this.stopHeartbeat()
    } catch (error) {
      this.#seen(error)
      throw error
    }
  }

  /** `changeRunStatus('completed')`. */
  complete(options: { endDate?: Date } = {}): Promise<void> {
    return this.changeRunStatus(COMPLETED, options)
  }

  /** `changeRunStatus('failed')`. */
  fail(options: { endDate?: Date } = {}): Promise<void> {
    return this.changeRunStatus(FAILED, options)
  }

  /**
   * Records an error against the run (and the process's last errored time). With `failRun: true`
   * the error and the failure are written in one transaction, then `ProcessHaltedError` is thrown.
   *
   * @throws NotFoundError for an error type that does not exist.
   */
  async raiseRunError(errorType: string, options: { description?: string; failRun?: boolean; endDate?: Date } = {}): Promise<void> {
    const name = checkName(errorType, 'errorType')
    const opts = checkPlainObject(options, 'options')
    const description = opts.description === undefined ? 'Unspecified error.' : checkText(opts.description, 'description', 750)
    if (opts.failRun !== undefined && typeof opts.failRun !== 'boolean') {
      throw new ValidationError('failRun must be true or false.', { field: 'failRun' })
    }
    const ctx = this.#ctx
    const failRun = opts.failRun === true
    await writes.raiseRunError(ctx, this, name, description, { failRun, at: checkOptionalDate(opts.endDate, 'endDate') })
    if (failRun) this.#status = FAILED
    ctx.logger.warn({ processName: this.processName, errorType: name }, description)
    if (opts.failRun) {
      this.stopHeartbeat()
      throw new ProcessHaltedError({ processTrackingId: this.processTrackingId, processName: this.processName })
    }
  }

  /**
   * Sets the run's record count (the last value given wins); `processingType` also sets the insert
   * or update count. The process's total is the sum over its runs, kept by adding the difference.
   */
  async setRecordCount(count: number, options: { processingType?: 'insert' | 'update' } = {}): Promise<void> {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new ValidationError(`The record count must be a whole number of 0 or more, not ${String(count)}.`, { field: 'count' })
    }
    const processingType = checkPlainObject(options, 'options').processingType
    if (processingType !== undefined && processingType !== 'insert' && processingType !== 'update') {
      throw new ValidationError('Processing type not recognized.', { field: 'processingType' })
    }
    await writes.setRecordCount(this.#ctx, this, count, processingType, this.#recordCount, viewSinkOf(options))
    this.#recordCount = count
  }

  /**
   * Keeps the lowest low and the highest high ever given to the run. One statement.
   *
   * @throws ValidationError for an invalid Date, or a `low` later than the `high` of the same call.
   */
  async setLowHighDates(dates: { low?: Date | null; high?: Date | null }): Promise<void> {
    const opts = checkPlainObject(dates, 'dates')
    const low = opts.low === undefined || opts.low === null ? undefined : checkDate(opts.low, 'low')
    const high = opts.high === undefined || opts.high === null ? undefined : checkDate(opts.high, 'high')
    if (low && high && low.getTime() > high.getTime()) {
      throw new ValidationError(`low (${low.toISOString()}) is later than high (${high.toISOString()}): give low ≤ high.`, { field: 'low' })
    }
    if (!(await writes.widenRunDates(this.#ctx, this, low, high, viewSinkOf(opts)))) throw await this.#whyNotChanged()
  }

  /** Records a heartbeat now (database clock). Throws `RunNotActiveError` once the run is over. */
  async heartbeat(): Promise<void> {
    if (!(await writes.beat(this.#ctx, this))) {
      const error = await this.#whyNotChanged()
      this.#abort.abort(error)
      this.stopHeartbeat()
      throw error
    }
  }

  /**
   * Beats on an unref'd timer until the run ends (default every `max(1, floor(timeout / 3))` s).
   * Never throws: a failed beat is logged; a run found over aborts `signal` and stops the timer.
   */
  startHeartbeat(options: { intervalSeconds?: number } = {}): void {
    this.stopHeartbeat()
    const timeout = this.#heartbeatTimeoutSeconds
    const interval = options.intervalSeconds ?? (timeout ? Math.max(1, Math.floor(timeout / 3)) : 30)
    if (typeof interval !== 'number' || !(interval > 0)) {
      throw new ValidationError(`intervalSeconds must be a positive number, not ${String(interval)}.`)
    }
    // One beat at a time: against a frozen or locked database, beats fired on every tick would pile
    // up and drain the pool. A beat still waiting is skipped over; each one is bounded by the
    // store's limits (lockTimeoutMs for locks, statementTimeoutMs for a silent server).
    let beating = false
    this.#heartbeatTimer = setInterval(() => {
      if (beating) return
      beating = true
      this.heartbeat()
        .catch((error: unknown) => {
          if (!(error instanceof RunNotActiveError)) {
            this.#ctx.logger.warn({ err: error, processTrackingId: this.processTrackingId }, 'heartbeat failed')
          }
        })
        .finally(() => {
          beating = false
        })
    }, interval * 1000)
    this.#heartbeatTimer.unref()
  }

  stopHeartbeat(): void {
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer)
    this.#heartbeatTimer = undefined
  }

  /** Contacts of the process: through its sources first, then its own. */
  findProcessContacts(): Promise<ProcessContact[]> {
    return single(this.#ctx, (db) => findProcessContacts(db, this.processId))
  }

  findProcessFilters(): Promise<ProcessFilter[]> {
    return single(this.#ctx, (db) => findProcessFilters(db, this.processId))
  }

  findProcessSourceAttributes(): Promise<SourceAttribute[]> {
    return single(this.#ctx, (db) => findProcessSourceAttributes(db, this.processId))
  }

  findProcessTargetAttributes(): Promise<TargetAttribute[]> {
    return single(this.#ctx, (db) => findProcessTargetAttributes(db, this.processId))
  }

  /** Moves several extracts to one status in one transaction; `loading` exempts parents in the batch. */
  changeExtractStatuses(extracts: readonly ExtractTracker[], status: string): Promise<void> {
    return extractMethods.changeExtractStatuses(this, extracts, status)
  }

  /**
   * Extracts whose filename contains `filename` (case-sensitive; `%` and `_` match themselves), in
   * the given status (default `ready`), in registration order. Read-only.
   */
  findExtractsByFilename(filename: string, options: StatusFilter = {}): Promise<ExtractTracker[]> {
    return extractMethods.findExtractsByFilename(this, filename, options)
  }

  /** Extracts at a location (by path, else by name) in the given status (default `ready`). Read-only. */
  findExtractsByLocation(options: LocationFilter): Promise<ExtractTracker[]> {
    return extractMethods.findExtractsByLocation(this, options)
  }

  /** Extracts that runs of a process worked on, in the given status (default `ready`). Read-only. */
  findExtractsByProcess(processName: string, options: StatusFilter = {}): Promise<ExtractTracker[]> {
    return extractMethods.findExtractsByProcess(this, processName, options)
  }

  /**
   * Atomically moves up to `limit` matching `ready` extracts to `loading` for this run, oldest first;
   * runs claiming at the same time never get the same extract.
   *
   * @example
   * ```ts
   * for (const extract of await run.claimExtracts({ locationPath: '/data/in/', limit: 10 })) {
   *   await load(extract.fullFilename)
   *   await extract.changeExtractStatus('loaded')
   * }
   * ```
   */
  claimExtracts(options: ClaimOptions): Promise<ExtractTracker[]> {
    return extractMethods.claimExtracts(this, options)
  }

  /** Registers the files of a local folder or an S3 prefix as `ready` extracts (see the README). */
  registerExtractsByLocation(locationPath: string, options: RegisterByLocationOptions = {}): Promise<ExtractTracker[]> {
    return extractMethods.registerExtractsByLocation(this, locationPath, options)
  }

  /** The error for a guarded single-statement change that matched no row. */
  async #whyNotChanged(): Promise<Error> {
    const error = await writes.whyNotChanged(this.#ctx, this)
    this.#seen(error)
    return error
  }

  /** Remembers the status a refusal reports. */
  #seen(error: unknown): void {
    if (error instanceof RunNotActiveError && typeof error.details.status === 'string') this.#status = error.details.status
  }

  async #completeIfActive(): Promise<void> {
    if (await writes.completeIfActive(this.#ctx, this)) this.#status = COMPLETED
    this.stopHeartbeat()
  }

  async #failIfActive(errorType: string, description: string): Promise<void> {
    if (await writes.failIfActive(this.#ctx, this, errorType, description)) this.#status = FAILED
    this.stopHeartbeat()
  }
}
