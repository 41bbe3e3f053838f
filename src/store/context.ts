import type { Logger } from 'pino'
import type { ConnectionSpec } from '../config/connection-spec.ts'
import type { Db, DialectAdapter } from './dialect/adapter.ts'
import type { StatementCounts } from './dialect/instrumented-driver.ts'
import type { LineageRuntime } from '../lineage/runtime.ts'

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
  /** OpenLineage settings when lineage is on (src/lineage); absent when off. */
  readonly lineage?: LineageRuntime
}

/** How a process status counts for the start rules. */
export type StatusCategory = 'active' | 'succeeded' | 'failed' | 'held' | 'released'

export interface ProcessStatus {
  id: number
  name: string
  category: StatusCategory
}

export const idKey = (table: string, name: string): string => `${table}\u0000${name}`
