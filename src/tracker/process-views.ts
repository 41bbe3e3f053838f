import { sql } from 'kysely'
import { NotFoundError, ValidationError } from '../errors.ts'
import { containsLiteral } from '../store/like-pattern.ts'
import type { StoreContext } from '../store/context.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { single } from '../store/transaction.ts'
import { processQuery, toProcessInfo, type ProcessInfo } from './reading.ts'
import { CHUNK, checkPageLimit } from './paging.ts'
import { runViewsByIds, type RunView } from './run-views.ts'
import { checkName, checkPlainObject, codePointLength, describe } from './validation.ts'

/** What a process is doing, from its latest run's status category; `never-run` when it has no run. */
export type ProcessState = 'running' | 'on-hold' | 'failed' | 'released' | 'completed' | 'never-run'

/** The state of a process whose latest run has a status of each category. */
const STATE_OF_CATEGORY: Record<string, Exclude<ProcessState, 'never-run'>> = {
  active: 'running',
  held: 'on-hold',
  failed: 'failed',
  released: 'released',
  succeeded: 'completed',
}

/** Every state, in the order the CLI and the API list them. */
export const PROCESS_STATES: readonly ProcessState[] = ['running', 'on-hold', 'failed', 'released', 'completed', 'never-run']

/** A neighbour in the dependency graph. */
export interface ProcessLink {
  processName: string
  /** The dependency type: `Hard` (gates starts) or `Soft` (recorded only), or a custom type. */
  type: string
}

/** A process with what a dashboard shows about it (http.md "PROCESS"). */
export interface ProcessView extends ProcessInfo {
  state: ProcessState
  latestRun: RunView | null
  /** The latest run is held (`on hold`): `releaseHold` would release it. */
  onHold: boolean
  /**
   * Failed runs from the newest on (by run number), stopping at the first run with any other status.
   * When the latest run is held, the failed runs before it: the streak that put the process on hold.
   */
  failureStreak: number
  /** Processes this one depends on, by name. */
  parents: ProcessLink[]
  /** Processes that depend on this one, by name. */
  children: ProcessLink[]
  /** Source names, sorted. */
  sources: string[]
  /** Target names, sorted. */
  targets: string[]
}

/** Options of `store.listProcesses`. */
export interface ListProcessesOptions {
  /** A literal, case-sensitive substring of the name (`%` and `_` match themselves). */
  q?: string
  state?: ProcessState
  /** 1–1000, default 50. */
  limit?: number
  /** Page on: only processes whose name sorts after this one (the last name of the previous page). */
  afterName?: string
}

/** Every process with its state and latest run, and every dependency. */
export interface DependencyGraph {
  nodes: { processName: string; state: ProcessState; latestRun: RunView | null }[]
  edges: { parent: string; child: string; type: string }[]
}

interface ProcessFilter {
  q?: string
  state?: ProcessState
  afterName?: string
  name?: string
  limit?: number
}

/**
 * Processes with their latest run's id and category and their failure streak, in one statement. The
 * streak counts the failed runs after the newest earlier run that did not fail, plus the latest run
 * when it failed: that run is found by walking the (process, run number) index backwards and stops
 * at once, so the cost is the streak's length. It is only computed for processes whose latest run
 * failed or is held — a held process reports the streak that put it on hold (dashboard.md's strip).
 */
function processRows(db: Db, filter: ProcessFilter) {
  const notFailed = db
    .selectFrom('process_status_lkup as nf')
    .select('nf.process_status_id')
    .where('nf.process_status_category', '<>', 'failed')
  const lastNotFailed = sql`(select ok.process_run_id from process_tracking ok where ok.process_id = p.process_id and ok.process_run_id < lt.process_run_id and ok.process_status_id in ${notFailed} order by ok.process_run_id desc limit 1)`
  const failedBefore = sql`(select count(*) from process_tracking f where f.process_id = p.process_id and f.process_run_id > coalesce(${lastNotFailed}, 0) and f.process_run_id < lt.process_run_id)`
  let query = processQuery(db)
    .leftJoin('process_tracking as lt', (join) => join.onRef('lt.process_id', '=', 'p.process_id').on('lt.is_latest_run', '=', true))
    .leftJoin('process_status_lkup as ls', 'ls.process_status_id', 'lt.process_status_id')
    .select([
      'lt.process_tracking_id as latest_tracking_id',
      'ls.process_status_category as latest_category',
      sql<number>`case ls.process_status_category when 'failed' then ${failedBefore} + 1 when 'held' then ${failedBefore} else 0 end`.as(
        'failure_streak',
      ),
    ])
    .orderBy('p.process_name')
  if (filter.name !== undefined) query = query.where('p.process_name', '=', filter.name)
  if (filter.q !== undefined) query = query.where(containsLiteral('p.process_name', filter.q))
  if (filter.afterName !== undefined) query = query.where('p.process_name', '>', filter.afterName)
  if (filter.state === 'never-run') {
    query = query.where('lt.process_tracking_id', 'is', null)
  } else if (filter.state !== undefined) {
    const state = filter.state
    const categories = Object.keys(STATE_OF_CATEGORY).filter((category) => STATE_OF_CATEGORY[category] === state)
    query = query.where('ls.process_status_category', 'in', categories)
  }
  if (filter.limit !== undefined) query = query.limit(filter.limit)
  return query
}

type ProcessRow = Awaited<ReturnType<ReturnType<typeof processRows>['executeTakeFirstOrThrow']>>

function stateOf(row: ProcessRow): ProcessState {
  if (row.latest_tracking_id === null || row.latest_category === null) return 'never-run'
  // A category this version does not know counts as active, as the start rules count it.
  return STATE_OF_CATEGORY[row.latest_category] ?? 'running'
}

/** The pieces of a view that live in other tables, read for a whole page at once (no query per process). */
interface Related {
  latest: Map<number, RunView>
  parents: Map<number, ProcessLink[]>
  children: Map<number, ProcessLink[]>
  sources: Map<number, string[]>
  targets: Map<number, string[]>
}

function push<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/** The latest runs of the processes, by tracking id. */
async function readLatestViews(ctx: StoreContext, rows: ProcessRow[]): Promise<Map<number, RunView>> {
  const ids = rows.flatMap((row) => (row.latest_tracking_id === null ? [] : [Number(row.latest_tracking_id)]))
  return new Map((await runViewsByIds(ctx, ids)).map((run) => [run.processTrackingId, run]))
}

function latestOf(row: ProcessRow, latest: Map<number, RunView>): RunView | null {
  return row.latest_tracking_id === null ? null : (latest.get(Number(row.latest_tracking_id)) ?? null)
}

async function readRelated(ctx: StoreContext, rows: ProcessRow[]): Promise<Related> {
  const related: Related = {
    latest: await readLatestViews(ctx, rows),
    parents: new Map(),
    children: new Map(),
    sources: new Map(),
    targets: new Map(),
  }
  const ids = rows.map((row) => Number(row.process_id))
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK)
    const inChunk = new Set(chunk)
    await single(ctx, async (db) => {
      for (const edge of await readEdges(db, chunk)) {
        if (inChunk.has(edge.childId)) push(related.parents, edge.childId, { processName: edge.parent, type: edge.type })
        if (inChunk.has(edge.parentId)) push(related.children, edge.parentId, { processName: edge.child, type: edge.type })
      }
      // Sources and targets are both source_lkup names: one statement reads both sides.
      const linked = await db
        .selectFrom('process_source as ps')
        .innerJoin('source_lkup as sl', 'sl.source_id', 'ps.source_id')
        .select(['ps.process_id', 'sl.source_name', sql<string>`'source'`.as('side')])
        .where('ps.process_id', 'in', chunk)
        .unionAll(
          db
            .selectFrom('process_target as pt')
            .innerJoin('source_lkup as tl', 'tl.source_id', 'pt.target_source_id')
            .select(['pt.process_id', 'tl.source_name', sql<string>`'target'`.as('side')])
            .where('pt.process_id', 'in', chunk),
        )
        .orderBy('source_name')
        .execute()
      for (const row of linked) push(row.side === 'source' ? related.sources : related.targets, Number(row.process_id), row.source_name)
    })
  }
  return related
}

interface Edge {
  parentId: number
  childId: number
  parent: string
  child: string
  type: string
}

/** Dependencies, sorted by parent then child name; with `processIds`, only those touching them. */
async function readEdges(db: Db, processIds?: readonly number[]): Promise<Edge[]> {
  let query = db
    .selectFrom('process_dependency as d')
    .innerJoin('process as pp', 'pp.process_id', 'd.parent_process_id')
    .innerJoin('process as pc', 'pc.process_id', 'd.child_process_id')
    .innerJoin('dependency_type_lkup as dt', 'dt.dependency_type_id', 'd.dependency_type_id')
    .select([
      'd.parent_process_id',
      'd.child_process_id',
      'pp.process_name as parent',
      'pc.process_name as child',
      'dt.dependency_type_name',
    ])
    .orderBy('pp.process_name')
    .orderBy('pc.process_name')
  if (processIds !== undefined) {
    query = query.where((eb) => eb.or([eb('d.parent_process_id', 'in', processIds), eb('d.child_process_id', 'in', processIds)]))
  }
  const rows = await query.execute()
  return rows.map((row) => ({
    parentId: Number(row.parent_process_id),
    childId: Number(row.child_process_id),
    parent: row.parent,
    child: row.child,
    type: row.dependency_type_name,
  }))
}

function toView(row: ProcessRow, related: Related): ProcessView {
  const id = Number(row.process_id)
  const state = stateOf(row)
  return {
    ...toProcessInfo(row),
    state,
    latestRun: latestOf(row, related.latest),
    onHold: state === 'on-hold',
    failureStreak: Number(row.failure_streak),
    parents: related.parents.get(id) ?? [],
    children: related.children.get(id) ?? [],
    sources: related.sources.get(id) ?? [],
    targets: related.targets.get(id) ?? [],
  }
}

async function readViews(ctx: StoreContext, filter: ProcessFilter): Promise<ProcessView[]> {
  const rows = await single(ctx, (db) => processRows(db, filter).execute())
  const related = await readRelated(ctx, rows)
  return rows.map((row) => toView(row, related))
}

function checkState(value: unknown): ProcessState | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !(PROCESS_STATES as readonly string[]).includes(value)) {
    throw new ValidationError(`state must be one of ${PROCESS_STATES.join(', ')}, not ${describe(value)}.`, { field: 'state' })
  }
  return value as ProcessState
}

function checkSubstring(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0 || codePointLength(value) > 250) {
    throw new ValidationError(`q must be a string of 1 to 250 characters, not ${describe(value)}.`, { field: 'q' })
  }
  return value
}

/**
 * Processes sorted by name, with their state, latest run, failure streak, dependencies, sources
 * and targets. A page costs the same few statements whatever its size (no query per process).
 */
export function listProcesses(ctx: StoreContext, options: ListProcessesOptions = {}): Promise<ProcessView[]> {
  const opts = checkPlainObject(options, 'options')
  return readViews(ctx, {
    q: checkSubstring(opts.q),
    state: checkState(opts.state),
    afterName: opts.afterName === undefined ? undefined : checkName(opts.afterName, 'afterName'),
    limit: checkPageLimit(opts.limit),
  })
}

/** One process as a {@link ProcessView}; an unknown process is a NotFoundError. */
export async function getProcessView(ctx: StoreContext, processName: string): Promise<ProcessView> {
  const name = checkName(processName, 'processName')
  const [view] = await readViews(ctx, { name })
  if (view === undefined) throw new NotFoundError(`The process ${name} does not exist.`, { topic: 'process', name })
  return view
}

/** Every process (sorted by name) with its state and latest run, and every dependency. */
export async function getDependencyGraph(ctx: StoreContext): Promise<DependencyGraph> {
  const rows = await single(ctx, (db) => processRows(db, {}).execute())
  const latest = await readLatestViews(ctx, rows)
  const edges = await single(ctx, (db) => readEdges(db))
  return {
    nodes: rows.map((row) => ({
      processName: row.process_name,
      state: stateOf(row),
      latestRun: latestOf(row, latest),
    })),
    edges: edges.map((edge) => ({ parent: edge.parent, child: edge.child, type: edge.type })),
  }
}
