import { NotFoundError, ValidationError } from '../errors.ts'
import type { StoreContext } from '../store/context.ts'
import { transaction, type Tx } from '../store/transaction.ts'
import { lockDependencyChanges, reaches } from './dependency-graph.ts'
import { failureStreak, readLatestRuns } from './latest-runs.ts'
import { insertMarkerRun } from './hold.ts'
import { LOOKUP, ensureId, ensureLink, requireId } from './lookup-ids.ts'
import { reapRun, findStaleRunIds } from './reaper.ts'
import { getRunInfo, type RunInfo } from './reading.ts'
import { lockRun, moveRun, recordError } from './run-transitions.ts'
import { decide, type StartRule } from './start-rules.ts'
import { osUserName } from './start.ts'
import { FAILED, RELEASED, statusByName } from '../store/process-statuses.ts'
import { checkId, checkName, checkPlainObject, checkText } from './validation.ts'

/** What `start` would decide now (see `store.explain`). */
export interface Explanation {
  allowed: boolean
  rule: StartRule | null
  code?: string
  message?: string
  blockingRunId?: number
  blockingProcessName?: string
}

async function lockProcessByName(tx: Tx, name: string): Promise<number> {
  // The row every start of the process locks first: a release or dependency change is seen by a start whole or not at all.
  const row = await tx.ctx.adapter
    .forUpdate(tx.db.selectFrom('process').select('process_id').where('process_name', '=', name))
    .executeTakeFirst()
  if (!row) throw new NotFoundError(`The process ${name} does not exist.`, { topic: 'process', name })
  return Number(row.process_id)
}

/**
 * Releases a process that is on hold (api.md `releaseHold`, since 0.2), under the process lock:
 *
 * - its latest run is held → that run becomes `released`, with an end time;
 * - its latest run failed and the failure streak reached `max_concurrent_failures` with no hold
 *   recorded (the threshold was lowered, or the history imported) → a `released` run is recorded,
 *   so whatever `explain` calls on hold can be released.
 *
 * Either way the streak is broken, and the process's last completed time is left alone: nothing
 * succeeded, and children stay blocked until the process completes a run. A stale latest run is
 * reaped first, as `explain` counts it failed.
 *
 * @throws NotFoundError "The process NAME is not on hold."
 */
export async function releaseHold(ctx: StoreContext, name: string): Promise<RunInfo> {
  const processName = checkName(name, 'processName')
  for (;;) {
    const outcome = await transaction(ctx, async (tx): Promise<{ stale: number } | { released: number }> => {
      const processId = await lockProcessByName(tx, processName)
      const latest = (await readLatestRuns(ctx, tx.db, processId)).find((run) => !run.isParent)
      if (latest?.stale) return { stale: latest.processTrackingId }
      const released = await statusByName(ctx, tx.db, RELEASED)
      const now = new Date()
      if (latest?.category === 'held') {
        await tx.db
          .updateTable('process_tracking')
          .set({ process_status_id: released.id, process_run_end_date_time: now, update_date_time: now, updated_by: ctx.auditUser })
          .where('process_tracking_id', '=', latest.processTrackingId)
          .execute()
        return { released: latest.processTrackingId }
      }
      const max = ctx.maxConcurrentFailures
      if (latest?.category === 'failed' && max > 0 && (await failureStreak(tx.db, processId, max, new Set())) >= max) {
        const actorId = await ensureId(tx, LOOKUP.actor, osUserName())
        return { released: await insertMarkerRun(tx, processId, latest, released, actorId, now) }
      }
      throw new NotFoundError(`The process ${processName} is not on hold.`, { topic: 'process run', name: processName })
    })
    if ('released' in outcome) return getRunInfo(ctx, outcome.released)
    await reapRun(ctx, outcome.stale)
  }
}

/** Ends an active run by hand: records a `Process Error` with the reason and fails the run. */
export async function failRun(ctx: StoreContext, processTrackingId: number, options: { reason?: string } = {}): Promise<RunInfo> {
  const id = checkId(processTrackingId, 'processTrackingId')
  const opts = checkPlainObject(options, 'options')
  const reason = opts.reason === undefined ? 'Failed by hand.' : checkText(opts.reason, 'reason', 750)
  await transaction(ctx, async (tx) => {
    const run = await lockRun(tx, id)
    const now = ctx.adapter.now
    await recordError(tx, run, 'Process Error', reason, now)
    await moveRun(tx, run, await statusByName(ctx, tx.db, FAILED), now)
  })
  return getRunInfo(ctx, id)
}

/** Fails every stale run now; returns them. */
export async function reapStaleRuns(ctx: StoreContext): Promise<RunInfo[]> {
  const reaped: RunInfo[] = []
  for (const id of await findStaleRunIds(ctx)) {
    if (await reapRun(ctx, id)) reaped.push(await getRunInfo(ctx, id))
  }
  return reaped
}

/** Evaluates the start rules without a lock or a write, counting stale runs as failed. */
export async function explain(ctx: StoreContext, name: string): Promise<Explanation> {
  const processName = checkName(name, 'processName')
  const row = await ctx.db.selectFrom('process').select('process_id').where('process_name', '=', processName).executeTakeFirst()
  if (!row) throw new NotFoundError(`The process ${processName} does not exist.`, { topic: 'process', name: processName })
  const processId = Number(row.process_id)
  const latest = await readLatestRuns(ctx, ctx.db, processId)
  const stale = new Set(latest.filter((run) => run.stale).map((run) => run.processTrackingId))
  const max = ctx.maxConcurrentFailures
  const decision = await decide(processName, latest, max, () => failureStreak(ctx.db, processId, max, stale))
  if (decision.allowed) return { allowed: true, rule: null }
  return {
    allowed: false,
    rule: decision.rule,
    code: decision.error.code,
    message: decision.error.message,
    blockingRunId: decision.blocking.processTrackingId,
    blockingProcessName: decision.blocking.processName,
  }
}

/** What `addProcessDependency` did: created the dependency, changed its type, or neither. */
export interface DependencyChange {
  created: boolean
  updated: boolean
}

/**
 * Makes `child` depend on `parent` (type Hard by default; Soft is recorded and never gates). Both
 * processes must exist; a self-dependency or one that closes a cycle is a ValidationError. An
 * existing dependency of another type gets the new type (`updated: true`).
 */
export async function addProcessDependency(
  ctx: StoreContext,
  parent: string,
  child: string,
  options: { type?: string } = {},
): Promise<DependencyChange> {
  const parentName = checkName(parent, 'parent')
  const childName = checkName(child, 'child')
  const typeName = checkName(checkPlainObject(options, 'options').type ?? 'Hard', 'type')
  if (parentName === childName) {
    throw new ValidationError(`The process ${parentName} cannot depend on itself.`, { parent: parentName, child: childName })
  }
  return transaction(ctx, async (tx) => {
    const typeId = await requireId(tx, LOOKUP.dependencyType, typeName)
    // The shared lock of every dependency change: two transactions adding the halves of a cycle
    // at once would each miss the other's edge.
    await lockDependencyChanges(tx)
    const parentId = await lockProcessByName(tx, parentName)
    const childId = await lockProcessByName(tx, childName)
    if (await reaches(tx, 'process', childId, parentId)) {
      throw new ValidationError(
        `Making ${childName} depend on ${parentName} would create a cycle: ${parentName} already depends on ${childName}.`,
        { parent: parentName, child: childName },
      )
    }
    const existing = await tx.db
      .selectFrom('process_dependency')
      .select('dependency_type_id')
      .where('parent_process_id', '=', parentId)
      .where('child_process_id', '=', childId)
      .executeTakeFirst()
    if (!existing) {
      await tx.db
        .insertInto('process_dependency')
        .values({
          parent_process_id: parentId,
          child_process_id: childId,
          dependency_type_id: typeId,
          created_by: ctx.auditUser,
          updated_by: ctx.auditUser,
        })
        .execute()
      return { created: true, updated: false }
    }
    if (Number(existing.dependency_type_id) === typeId) return { created: false, updated: false }
    await tx.db
      .updateTable('process_dependency')
      .set({ dependency_type_id: typeId, update_date_time: new Date(), updated_by: ctx.auditUser })
      .where('parent_process_id', '=', parentId)
      .where('child_process_id', '=', childId)
      .execute()
    return { created: false, updated: true }
  })
}

export async function removeProcessDependency(ctx: StoreContext, parent: string, child: string): Promise<void> {
  const parentName = checkName(parent, 'parent')
  const childName = checkName(child, 'child')
  await transaction(ctx, async (tx) => {
    const parentId = await lockProcessByName(tx, parentName)
    const childId = await lockProcessByName(tx, childName)
    const result = await tx.db
      .deleteFrom('process_dependency')
      .where('parent_process_id', '=', parentId)
      .where('child_process_id', '=', childId)
      .executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) {
      throw new NotFoundError(`${childName} does not depend on ${parentName}.`, {
        topic: 'process dependency',
        name: `${parentName} -> ${childName}`,
      })
    }
  })
}

async function clusterAndProcess(tx: Tx, cluster: string, process: string): Promise<{ clusterId: number; processId: number }> {
  const clusterId = await requireId(tx, LOOKUP.cluster, checkName(cluster, 'cluster'))
  const row = await tx.db
    .selectFrom('process')
    .select('process_id')
    .where('process_name', '=', checkName(process, 'process'))
    .executeTakeFirst()
  if (!row) throw new NotFoundError(`The process ${process} does not exist.`, { topic: 'process', name: process })
  return { clusterId, processId: Number(row.process_id) }
}

export async function addClusterProcess(ctx: StoreContext, cluster: string, process: string): Promise<void> {
  await transaction(ctx, async (tx) => {
    const { clusterId, processId } = await clusterAndProcess(tx, cluster, process)
    await ensureLink(tx, 'cluster_process', { cluster_id: clusterId, process_id: processId })
  })
}

export async function removeClusterProcess(ctx: StoreContext, cluster: string, process: string): Promise<void> {
  await transaction(ctx, async (tx) => {
    const { clusterId, processId } = await clusterAndProcess(tx, cluster, process)
    const result = await tx.db
      .deleteFrom('cluster_process')
      .where('cluster_id', '=', clusterId)
      .where('process_id', '=', processId)
      .executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) {
      throw new NotFoundError(`The process ${process} is not in cluster ${cluster}.`, { topic: 'cluster process', name: process })
    }
  })
  ctx.ids.clear()
}
