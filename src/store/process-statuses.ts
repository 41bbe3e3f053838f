import { InvalidStatusError } from '../errors.ts'
import type { ProcessStatus, StatusCategory, StoreContext } from './context.ts'
import type { Db } from './dialect/adapter.ts'

const CATEGORIES = new Set<StatusCategory>(['active', 'succeeded', 'failed', 'held', 'released'])

async function reload(ctx: StoreContext, db: Db): Promise<void> {
  const rows = await db
    .selectFrom('process_status_lkup')
    .select(['process_status_id', 'process_status_name', 'process_status_category'])
    .execute()
  const { byName, byId } = ctx.processStatuses
  byName.clear()
  byId.clear()
  for (const row of rows) {
    const category = CATEGORIES.has(row.process_status_category as StatusCategory)
      ? (row.process_status_category as StatusCategory)
      : 'active'
    const status = { id: Number(row.process_status_id), name: row.process_status_name, category }
    byName.set(status.name, status)
    byId.set(status.id, status)
  }
}

/** A process status by name, or an InvalidStatusError with the Python message. */
export async function statusByName(ctx: StoreContext, db: Db, name: string): Promise<ProcessStatus> {
  let status = ctx.processStatuses.byName.get(name)
  if (!status) {
    await reload(ctx, db)
    status = ctx.processStatuses.byName.get(name)
  }
  if (!status) throw new InvalidStatusError(`The provided status type ${name} is invalid.`, { status: name })
  return status
}

export async function statusById(ctx: StoreContext, db: Db, id: number): Promise<ProcessStatus> {
  let status = ctx.processStatuses.byId.get(id)
  if (!status) {
    await reload(ctx, db)
    status = ctx.processStatuses.byId.get(id)
  }
  if (!status) throw new Error(`process status ${id} missing`)
  return status
}

/** The seeded statuses the tracker itself writes. */
export const RUNNING = 'running'
export const COMPLETED = 'completed'
export const FAILED = 'failed'
export const ON_HOLD = 'on hold'
/** Since 0.2: what `releaseHold` makes of a hold (a release is not a success). */
export const RELEASED = 'released'
