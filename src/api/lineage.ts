/**
 * OpenLineage for ProcessTracker (lineage.md): the public face — send what the outbox holds, and
 * say how it stands. Events are written by the tracker itself when lineage is configured.
 */
import { ConfigError } from '../errors.ts'
import type { DataStore } from './data-store.ts'
import { Dispatcher, outboxStatus, type DispatchCounts, type DispatchPolicy, type OutboxStatus } from '../lineage/dispatcher.ts'
import { contextOf } from '../store/context.ts'

export type { LineageOptions, LineageTransportKind } from '../lineage/config.ts'
export type { ParentRun } from '../lineage/record.ts'
export type { DispatchCounts, DispatchPolicy, OutboxStatus } from '../lineage/dispatcher.ts'

/**
 * Sends every pending OpenLineage event of the store now (including those waiting out a retry
 * delay) and returns what happened; stops early when the receiver stays unreachable (those events
 * stay pending). What `processtracker lineage flush` runs.
 *
 * @throws ConfigError when lineage is not configured for this store.
 */
export async function flushLineage(store: DataStore, options: { policy?: Partial<DispatchPolicy> } = {}): Promise<DispatchCounts> {
  const lineage = contextOf(store).lineage
  if (!lineage) throw lineageOff()
  try {
    return await new Dispatcher(contextOf(store), lineage.config, options.policy).flush({ all: true })
  } catch (error) {
    throw contextOf(store).translate(error)
  }
}

/** The outbox at a glance: pending, sent (kept 7 days), rejected, and the oldest pending event. */
export interface LineageStatus extends OutboxStatus {
  /** Whether this store emits events (lineage configured and not disabled). */
  enabled: boolean
  /** `http`, `file` or `console`; null when off. */
  transport: string | null
}

/** What `processtracker lineage status` shows. */
export async function lineageStatus(store: DataStore): Promise<LineageStatus> {
  try {
    const status = await outboxStatus(contextOf(store))
    const lineage = contextOf(store).lineage
    return { enabled: lineage !== undefined, transport: lineage?.config.transport.kind ?? null, ...status }
  } catch (error) {
    throw contextOf(store).translate(error)
  }
}

function lineageOff(): ConfigError {
  return new ConfigError(
    'Lineage is off for this store: set OPENLINEAGE_URL (or openlineage_url / openlineage_transport in the config file, or the lineage option) to send events.',
  )
}
