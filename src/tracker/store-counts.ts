import type { StoreContext } from '../store/context.ts'
import { single } from '../store/transaction.ts'
import { activeStatusIds } from './predicates.ts'

/** How much a store holds: what `processtracker info` and the dashboard's header show. */
export interface StoreCounts {
  processes: number
  runs: number
  /** Runs whose status is active (stale ones included: they are active until reaped). */
  activeRuns: number
  /** Processes whose latest run is held. */
  onHold: number
  extracts: number
}

/** Every count in one statement. */
export async function readCounts(ctx: StoreContext): Promise<StoreCounts> {
  const row = await single(ctx, (db) =>
    db
      .selectNoFrom((eb) => [
        eb.selectFrom('process').select(eb.fn.countAll().as('n')).as('processes'),
        eb.selectFrom('process_tracking').select(eb.fn.countAll().as('n')).as('runs'),
        eb
          .selectFrom('process_tracking as t')
          .select(eb.fn.countAll().as('n'))
          .where('t.process_status_id', 'in', activeStatusIds(db))
          .as('active_runs'),
        eb
          .selectFrom('process_tracking as t')
          .select(eb.fn.countAll().as('n'))
          .where('t.is_latest_run', '=', true)
          .where(
            't.process_status_id',
            'in',
            eb.selectFrom('process_status_lkup as s').select('s.process_status_id').where('s.process_status_category', '=', 'held'),
          )
          .as('on_hold'),
        eb.selectFrom('extract_tracking').select(eb.fn.countAll().as('n')).as('extracts'),
      ])
      .executeTakeFirstOrThrow(),
  )
  return {
    processes: Number(row.processes ?? 0),
    runs: Number(row.runs ?? 0),
    activeRuns: Number(row.active_runs ?? 0),
    onHold: Number(row.on_hold ?? 0),
    extracts: Number(row.extracts ?? 0),
  }
}
