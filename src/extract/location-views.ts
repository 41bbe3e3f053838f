import type { StoreContext } from '../store/context.ts'
import { single } from '../store/transaction.ts'
import { checkPageLimit } from '../tracker/paging.ts'
import { checkId, checkPlainObject } from '../tracker/validation.ts'
import { selectLocation, toLocationRecord, type LocationRecord } from './location-store.ts'

/** A location as `store.listLocations` shows it. */
export type LocationView = LocationRecord

/** Locations, newest first (by locationId), at most `limit` (1–1000, default 50); page on with `beforeLocationId`. */
export async function listLocations(
  ctx: StoreContext,
  options: { limit?: number; beforeLocationId?: number } = {},
): Promise<LocationView[]> {
  const opts = checkPlainObject(options, 'options')
  const limit = checkPageLimit(opts.limit)
  let query = selectLocation(ctx.db).orderBy('l.location_id', 'desc').limit(limit)
  if (opts.beforeLocationId !== undefined) query = query.where('l.location_id', '<', checkId(opts.beforeLocationId, 'beforeLocationId'))
  const rows = await single(ctx, () => query.execute())
  return rows.map(toLocationRecord)
}
