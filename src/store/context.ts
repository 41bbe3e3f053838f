import type { Logger } from 'pino'
import type { ConnectionSpec } from '../config/connection-spec.ts'
import type { Db, DialectAdapter } from './dialect/adapter.ts'
import type { StatementCounts } from './dialect/instrumented-driver.ts'
import { ValidationError } from '../errors.ts'

/**
 * What the trackers need from an open store. Internal: the public face is {@link DataStore}.
 */
export interface StoreContext {
  readonly db: Db
  readonly adapter: DialectAdapter
  readonly spec: ConnectionSpec
  readonly maxConcurrentFailures: number
  readonly lockTimeoutMs: number
  readonly logger: Logger
  readonly counts: StatementCounts
  /**
   * Ids of lookup rows by table and name. Lookup rows are only ever added by the tracker, so an id
   * once seen stays valid; `store.lookups` clears the entries it renames or deletes.
   */
  readonly ids: Map<string, number>
  /** Process statuses by name and id; reloaded on a miss (custom statuses appear at any time). */
  readonly processStatuses: { byName: Map<string, ProcessStatus>; byId: Map<number, ProcessStatus> }
  /** The name written into created_by / updated_by. */
  readonly auditUser: string
  /** Driver error → processtracker error. */
  translate(error: unknown): unknown
  // `lineage` (the OpenLineage runtime, absent when off) is added by src/api/internal.ts: the store
  // layer knows nothing of lineage.
}

/** How a process status counts for the start rules. */
export type StatusCategory = 'active' | 'succeeded' | 'failed' | 'held' | 'released'

export interface ProcessStatus {
  id: number
  name: string
  category: StatusCategory
}

export const idKey = (table: string, name: string): string => `${table}\u0000${name}`

/**
 * The context of each open public object (a `DataStore`), kept here rather than in a field so that
 * it never shows in the published types; module-private to the package.
 */
const contexts = new WeakMap<object, StoreContext>()

/** Ties `context` to its public owner (a `DataStore`, at open). */
export function bindContext(owner: object, context: StoreContext): void {
  contexts.set(owner, context)
}

/**
 * The context behind a `DataStore`.
 *
 * @throws ValidationError "store must be a DataStore (from DataStore.open)." for anything else.
 */
export function contextOf(store: unknown): StoreContext {
  const context = typeof store === 'object' && store !== null ? contexts.get(store) : undefined
  if (context === undefined) throw new ValidationError('store must be a DataStore (from DataStore.open).', { field: 'store' })
  return context
}
