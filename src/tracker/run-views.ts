import { sql, type QueryCreator, type RawBuilder } from 'kysely'
import { NotFoundError, ValidationError } from '../errors.ts'
import type { StoreContext } from '../store/context.ts'
import type { Database } from '../store/database.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { prepare, type Slots } from '../store/prepared.ts'
import { single, Tx } from '../store/transaction.ts'
import { toBool, toDate, toDateOrThrow, toNumberOrNull } from '../store/values.ts'
import { LOOKUP, findRowId, requireId } from './lookup-ids.ts'
import { selectRunErrors, type RunInfo } from './run-record.ts'
import { CHUNK, checkPageLimit } from './paging.ts'
import { activeStatusIds, runIsStale } from './predicates.ts'
import { statusByName } from '../store/process-statuses.ts'
import { checkId, checkIntegerInRange, checkName, checkOptionalDate, checkPlainObject, describe } from './validation.ts'

/** The filters of `listRuns`, `listRunViews` and `countRuns`; all given ones must hold (AND). */
export interface RunFilters {
  /** An unknown process is a NotFoundError, never an empty list. */
  processName?: string
  /** A status name; an unknown one is an InvalidStatusError. */
  status?: string
  /** The actor who started the run; an unknown actor is a NotFoundError. */
  actorName?: string
  /** Runs started at or after this time. */
  startedAfter?: Date
  /** Runs started strictly before this time (so `startedAfter`/`startedBefore` tile time without overlap). */
  startedBefore?: Date
  /** `true`: only stale runs (active, silent for longer than their heartbeat timeout); `false`: none of them. */
  stale?: boolean
}

/** Options of `store.listRuns` and `store.listRunViews`. */
export interface ListRunsOptions extends RunFilters {
  /** 1–1000, default 50. */
  limit?: number
  /** Page backwards: only runs with a smaller processTrackingId (the last one of the previous page). */
  beforeTrackingId?: number
}

/**
 * A run with what a monitor needs besides the `listRuns` row (http.md "RUN"): its process id, its
 * heartbeat, whether it is stale now (by the database's clock), and how many errors and extracts it has.
 */
export interface RunView extends RunInfo {
  processId: number
  heartbeatTimeoutSeconds: number | null
  lastHeartbeatDateTime: Date | null
  /** Active, with a heartbeat timeout, and silent for longer than it — what the reaper would fail. */
  stale: boolean
  errorCount: number
  extractCount: number
}

/** What `store.countRuns` answers: `total` is at most the cap; `capped` says there are more. */
export interface RunCount {
  total: number
  capped: boolean
}

/** Filters with names turned into ids. */
interface ResolvedFilters {
  processId?: number
  statusId?: number
  actorId?: number
  startedAfter?: Date
  startedBefore?: Date
  stale?: boolean
  beforeTrackingId?: number
  trackingIds?: readonly number[]
  /** One run (a bound value, so the statement can be built once). */
  trackingId?: number
  /** The ids of the active statuses, read when the stale filter needs them. */
  activeStatusIds?: readonly number[]
}

/**
 * Checks the filters and turns names into ids, so the run query filters `process_tracking` columns
 * that the indexes cover (see migration 4). Ids are remembered per store, so a repeated filter
 * costs no statement.
 */
async function resolveFilters(ctx: StoreContext, db: Db, options: unknown): Promise<ResolvedFilters> {
  const opts = checkPlainObject(options, 'options')
  const resolved: ResolvedFilters = {
    startedAfter: checkOptionalDate(opts.startedAfter, 'startedAfter'),
    startedBefore: checkOptionalDate(opts.startedBefore, 'startedBefore'),
  }
  if (opts.stale !== undefined) {
    if (typeof opts.stale !== 'boolean') {
      throw new ValidationError(`stale must be true or false, not ${describe(opts.stale)}.`, { field: 'stale' })
    }
    resolved.stale = opts.stale
    resolved.activeStatusIds = (await activeStatusIds(db).execute()).map((row) => Number(row.process_status_id))
  }
  if (opts.status !== undefined) resolved.statusId = (await statusByName(ctx, db, checkName(opts.status, 'status'))).id
  const tx = new Tx(db, ctx)
  if (opts.processName !== undefined) resolved.processId = await requireProcessId(tx, checkName(opts.processName, 'processName'))
  if (opts.actorName !== undefined) resolved.actorId = await requireId(tx, LOOKUP.actor, checkName(opts.actorName, 'actorName'))
  return resolved
}

/** The id of a process by name; an unknown process is a NotFoundError. */
export async function requireProcessId(tx: Tx, processName: string): Promise<number> {
  const id = await findRowId(tx, 'process', 'process_id', { process_name: processName })
  if (id === undefined) {
    throw new NotFoundError(`The process ${processName} does not exist.`, { topic: 'process', name: processName })
  }
  return id
}

/**
 * 1 when the run is stale, else 0: active, with a heartbeat timeout, and its last beat older than
 * that by the database's clock (the reaper's definition; machines with skewed clocks agree).
 */
function staleFlag(ctx: Pick<StoreContext, 'adapter'>): RawBuilder<number> {
  return sql<number>`case when s.process_status_category = 'active' and ${runIsStale(ctx.adapter)} then 1 else 0 end`
}

/**
 * The runs matching the filters, on `process_tracking` alone (no join, so a count reads nothing
 * else and every planner drives the query from the index of the filtered column); no columns yet.
 */
function filteredRuns(ctx: Pick<StoreContext, 'adapter'>, db: Db, filters: ResolvedFilters) {
  let query = db.selectFrom('process_tracking as t')
  const { processId, statusId, actorId, startedAfter, startedBefore, stale, beforeTrackingId, trackingIds, trackingId } = filters
  if (processId !== undefined) query = query.where('t.process_id', '=', processId)
  if (statusId !== undefined) query = query.where('t.process_status_id', '=', statusId)
  if (actorId !== undefined) query = query.where('t.process_run_actor_id', '=', actorId)
  if (startedAfter !== undefined) query = query.where('t.process_run_start_date_time', '>=', startedAfter)
  if (startedBefore !== undefined) query = query.where('t.process_run_start_date_time', '<', startedBefore)
  if (stale !== undefined) {
    // The active status ids as values, not a subquery: the (status, tracking id) index then finds
    // the few active runs (with a subquery, SQLite walks every run newest first).
    const active = filters.activeStatusIds ?? []
    query = stale
      ? query.where('t.process_status_id', 'in', active).where(runIsStale(ctx.adapter))
      : query.where(
          sql<boolean>`case when ${sql.ref('t.process_status_id')} in (${sql.join(active)}) and ${runIsStale(ctx.adapter)} then 1 else 0 end = 0`,
        )
  }
  if (beforeTrackingId !== undefined) query = query.where('t.process_tracking_id', '<', beforeTrackingId)
  if (trackingIds !== undefined) query = query.where('t.process_tracking_id', 'in', trackingIds)
  if (trackingId !== undefined) query = query.where('t.process_tracking_id', '=', trackingId)
  return query
}

/** The run columns a RunView shows, read in the page's derived table. */
const RUN_COLUMNS = [
  't.process_tracking_id',
  't.process_run_id',
  't.process_run_name',
  't.run_uuid',
  't.process_status_id',
  't.process_run_actor_id',
  't.process_run_start_date_time',
  't.process_run_end_date_time',
  't.process_run_record_count',
  't.process_run_insert_count',
  't.process_run_update_count',
  't.process_run_low_date_time',
  't.process_run_high_date_time',
  't.is_latest_run',
  't.process_id',
  't.heartbeat_timeout_seconds',
  't.last_heartbeat_date_time',
] as const

/**
 * The page of runs with every RunView column. The page is chosen first, in a derived table over
 * `process_tracking` alone, so every planner reads the filtered index (or the primary key) newest
 * first and stops at the limit; with the joins in the same SELECT, MariaDB's planner drives from
 * `process` and sorts every run. The derived table reads whole rows on purpose: were it to read only
 * ids, SQLite would scan a smaller covering index and sort every run.
 */
function selectRunViews(ctx: Pick<StoreContext, 'adapter'>, db: Db, filters: ResolvedFilters, limit: number | undefined) {
  let page = runPage(ctx, db, filters).orderBy('t.process_tracking_id', 'desc')
  if (limit !== undefined) page = page.limit(limit)
  return viewsOfPage(ctx, db, page)
}

const runPage = (ctx: Pick<StoreContext, 'adapter'>, db: Db, filters: ResolvedFilters) => filteredRuns(ctx, db, filters).select(RUN_COLUMNS)
/** A derived table of runs with the {@link RUN_COLUMNS}: a page of `process_tracking`, or a write's CTE. */
type RunPage = ReturnType<typeof runPage>

/** The RunView columns of the runs in `page` (joined names, stale flag, error and extract counts). */
function viewsOfPage(ctx: Pick<StoreContext, 'adapter'>, qc: QueryCreator<Database>, page: RunPage) {
  return qc
    .selectFrom(page.as('t'))
    .innerJoin('process as p', 'p.process_id', 't.process_id')
    .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
    .leftJoin('actor_lkup as a', 'a.actor_id', 't.process_run_actor_id')
    .select((eb) => [
      ...RUN_COLUMNS,
      'p.process_name',
      's.process_status_name',
      'a.actor_name',
      staleFlag(ctx).as('stale'),
      eb
        .selectFrom('error_tracking as e')
        .select(eb.fn.countAll().as('n'))
        .whereRef('e.process_tracking_id', '=', 't.process_tracking_id')
        .as('error_count'),
      eb
        .selectFrom('extract_process_tracking as x')
        .select(eb.fn.countAll().as('n'))
        .whereRef('x.process_tracking_id', '=', 't.process_tracking_id')
        .as('extract_count'),
    ])
}

type RunRow = Awaited<ReturnType<ReturnType<typeof selectRunViews>['executeTakeFirstOrThrow']>>
type LastError = RunInfo['lastError']

function toRunInfo(row: RunRow, lastError: LastError): RunInfo {
  return {
    processTrackingId: Number(row.process_tracking_id),
    processRunId: Number(row.process_run_id),
    processName: row.process_name,
    processRunName: row.process_run_name,
    runUuid: row.run_uuid ?? '',
    status: row.process_status_name,
    actorName: row.actor_name,
    startDateTime: toDateOrThrow(row.process_run_start_date_time),
    endDateTime: toDate(row.process_run_end_date_time),
    recordCount: Number(row.process_run_record_count),
    insertCount: Number(row.process_run_insert_count),
    updateCount: Number(row.process_run_update_count),
    lowDateTime: toDate(row.process_run_low_date_time),
    highDateTime: toDate(row.process_run_high_date_time),
    isLatestRun: toBool(row.is_latest_run),
    lastError,
  }
}

function toRunView(row: RunRow, lastError: LastError): RunView {
  return {
    ...toRunInfo(row, lastError),
    processId: Number(row.process_id),
    heartbeatTimeoutSeconds: toNumberOrNull(row.heartbeat_timeout_seconds),
    lastHeartbeatDateTime: toDate(row.last_heartbeat_date_time),
    stale: Number(row.stale) === 1,
    errorCount: Number(row.error_count ?? 0),
    extractCount: Number(row.extract_count ?? 0),
  }
}

/** Reads the page of runs, newest first, and their last errors: two statements. */
async function readRuns<T>(
  ctx: StoreContext,
  db: Db,
  filters: ResolvedFilters,
  limit: number | undefined,
  build: (row: RunRow, lastError: LastError) => T,
): Promise<T[]> {
  const rows = await selectRunViews(ctx, db, filters, limit).orderBy('t.process_tracking_id', 'desc').execute()
  const lastErrors = await readLastErrors(
    db,
    rows.map((row) => Number(row.process_tracking_id)),
  )
  return rows.map((row) => build(row, lastErrors.get(Number(row.process_tracking_id)) ?? null))
}

/** The newest error of each run, in one query. */
async function readLastErrors(db: Db, runIds: number[]): Promise<Map<number, NonNullable<LastError>>> {
  const result = new Map<number, NonNullable<LastError>>()
  if (runIds.length === 0) return result
  const rows = await selectRunErrors(db).where('e.process_tracking_id', 'in', runIds).execute()
  for (const row of rows) {
    result.set(Number(row.process_tracking_id), { errorType: row.error_type_name, description: row.error_description })
  }
  return result
}

async function listPage<T>(ctx: StoreContext, options: ListRunsOptions, build: (row: RunRow, lastError: LastError) => T): Promise<T[]> {
  const opts = checkPlainObject(options, 'options')
  const limit = checkPageLimit(opts.limit)
  const before = opts.beforeTrackingId === undefined ? undefined : checkId(opts.beforeTrackingId, 'beforeTrackingId')
  return single(ctx, async (db) => {
    const filters = await resolveFilters(ctx, db, opts)
    return readRuns(ctx, db, { ...filters, beforeTrackingId: before }, limit, build)
  })
}

/**
 * Runs matching every given filter, newest first (by processTrackingId), at most `limit`; page on with
 * `beforeTrackingId` set to the last row's id. Unknown process, status or actor names are errors.
 */
export function listRuns(ctx: StoreContext, options: ListRunsOptions = {}): Promise<RunInfo[]> {
  return listPage(ctx, options, toRunInfo)
}

/** As {@link listRuns}, each run as a {@link RunView}. */
export function listRunViews(ctx: StoreContext, options: ListRunsOptions = {}): Promise<RunView[]> {
  return listPage(ctx, options, toRunView)
}

/**
 * One run in one statement: the page query for its id, plus its last error as two scalar subqueries
 * (newest first, ties by id, as `readLastErrors` picks it) read by the `(process_tracking_id,
 * error_tracking_id)` index. Every write of the HTTP API answers with this.
 */
function selectOneRun(ctx: Pick<StoreContext, 'adapter'>, db: Db, processTrackingId: number) {
  return withLastError(selectRunViews(ctx, db, { trackingId: processTrackingId }, undefined))
}

/** The views with the run's last error (type name and description) as two scalar subqueries. */
function withLastError(views: ReturnType<typeof viewsOfPage>) {
  return views.select((eb) => {
    const lastError = () =>
      eb
        .selectFrom('error_tracking as e')
        .innerJoin('error_type_lkup as et', 'et.error_type_id', 'e.error_type_id')
        .whereRef('e.process_tracking_id', '=', 't.process_tracking_id')
        .orderBy('e.error_occurrence_date_time', 'desc')
        .orderBy('e.error_tracking_id', 'desc')
        .limit(1)
    return [
      lastError().select('et.error_type_name').as('last_error_type'),
      lastError().select('e.error_description').as('last_error_description'),
    ]
  })
}

/**
 * PostgreSQL: the one-run view (as {@link getRun} reads it) of the run row that the data-modifying
 * CTE `cte` of the same statement RETURNs with {@link RUN_COLUMN_NAMES} — the row as written, so a
 * write answers with its own result in its own round trip (the HTTP API's writes). The rest of the
 * statement sees the tables as they were before it, which is right for everything but the run row:
 * such writes change no error, extract, process name or status name.
 */
export function selectViewOfWrittenRun(ctx: Pick<StoreContext, 'adapter'>, db: Db, qc: QueryCreator<Database>, cte: string) {
  // The derived table comes from `db`: made by `qc`, it would carry the WITH clause again, nested.
  const page = db.selectFrom(`${cte} as t` as 'process_tracking as t').select(RUN_COLUMNS)
  return withLastError(viewsOfPage(ctx, qc, page))
}

/** The run as the one-statement start inserted it: what `StartedRun` holds (ids, names, status). */
export type InsertedRun = Pick<
  RunView,
  'processTrackingId' | 'processRunId' | 'processId' | 'processName' | 'processRunName' | 'status' | 'runUuid'
>

/** What else the one-statement start knows of the run it inserted. */
export interface InsertedRunFacts {
  actorName: string
  heartbeatTimeoutSeconds: number | null
  /** The database clock of the insert, as the start time column stores it. */
  startDateTime: Date
}

/**
 * The view of a run as its start inserted it, made from what the start bound and read back, in the
 * start's own round trip (PostgreSQL's one-statement start; the HTTP API answers with it). It is
 * the row as written, as {@link selectViewOfWrittenRun} gives a write: the counts are the columns'
 * defaults, the heartbeat the start time, and no error or extract can exist yet.
 */
export function viewOfInsertedRun(run: InsertedRun, facts: InsertedRunFacts): RunView {
  return {
    processTrackingId: run.processTrackingId,
    processRunId: run.processRunId,
    processName: run.processName,
    processRunName: run.processRunName,
    runUuid: run.runUuid,
    status: run.status,
    actorName: facts.actorName,
    startDateTime: facts.startDateTime,
    endDateTime: null,
    recordCount: 0,
    insertCount: 0,
    updateCount: 0,
    lowDateTime: null,
    highDateTime: null,
    isLatestRun: true,
    lastError: null,
    processId: run.processId,
    heartbeatTimeoutSeconds: facts.heartbeatTimeoutSeconds,
    lastHeartbeatDateTime: facts.heartbeatTimeoutSeconds === null ? null : facts.startDateTime,
    stale: false,
    errorCount: 0,
    extractCount: 0,
  }
}

/** The columns a run-writing CTE must RETURN for {@link selectViewOfWrittenRun}. */
export const RUN_COLUMN_NAMES = RUN_COLUMNS.map((column) => column.slice(2)) as StripAlias<(typeof RUN_COLUMNS)[number]>[]
type StripAlias<C> = C extends `t.${infer Name}` ? Name : never

/** The RunView of a row of {@link selectOneRun} or {@link selectViewOfWrittenRun}. */
export function runViewOfRow(row: OneRunRow): RunView {
  return toRunView(row, lastErrorOf(row))
}
type OneRunRow = Awaited<ReturnType<ReturnType<typeof selectOneRun>['executeTakeFirstOrThrow']>>
const lastErrorOf = (row: OneRunRow): LastError =>
  row.last_error_type === null ? null : { errorType: row.last_error_type, description: row.last_error_description ?? null }

/**
 * {@link selectOneRun} built once per store and only bound after (`store/prepared.ts`): the HTTP
 * API reads it after every run write, and building it cost several times running it.
 */
const ONE_RUN = prepare((db, p: Slots<{ id: number }>, adapter) => selectOneRun({ adapter }, db, p.id))

async function readOne<T>(ctx: StoreContext, processTrackingId: number, build: (row: RunRow, lastError: LastError) => T): Promise<T> {
  const id = checkId(processTrackingId, 'processTrackingId')
  const [row] = await single(ctx, () => ONE_RUN.rows(ctx, { id }))
  if (row === undefined) throw new NotFoundError(`There is no run with tracking id ${id}.`, { topic: 'process run', name: id })
  return build(row, lastErrorOf(row))
}

/** One run as a {@link RunView}; an unknown tracking id is a NotFoundError. */
export function getRun(ctx: StoreContext, processTrackingId: number): Promise<RunView> {
  return readOne(ctx, processTrackingId, toRunView)
}

/** One run in `listRuns` shape; an unknown tracking id is a NotFoundError. */
export function getRunInfo(ctx: StoreContext, processTrackingId: number): Promise<RunInfo> {
  return readOne(ctx, processTrackingId, toRunInfo)
}

/** Runs by tracking id as {@link RunView}s, newest first, in chunks so no statement carries a huge IN list. */
export async function runViewsByIds(ctx: StoreContext, ids: readonly number[]): Promise<RunView[]> {
  const views: RunView[] = []
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK)
    views.push(...(await single(ctx, (db) => readRuns(ctx, db, { trackingIds: chunk }, undefined, toRunView))))
  }
  return views
}

/**
 * How many runs match the filters, counting at most `cap` (default 10,000, at most 1,000,000): past
 * the cap the answer is `{ total: cap, capped: true }`, so a count never reads a whole large table.
 */
export async function countRuns(ctx: StoreContext, filters: RunFilters = {}, options: { cap?: number } = {}): Promise<RunCount> {
  const cap = checkIntegerInRange(checkPlainObject(options, 'options').cap ?? 10_000, 'cap', 1, 1_000_000)
  return single(ctx, async (db) => {
    const resolved = await resolveFilters(ctx, db, filters)
    const matching = filteredRuns(ctx, db, resolved)
      .select('t.process_tracking_id')
      .limit(cap + 1)
    const row = await db
      .selectFrom(matching.as('m'))
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
    const n = Number(row.n)
    return { total: Math.min(n, cap), capped: n > cap }
  })
}
