import type { DataStore } from './data-store.ts'
import { DEFAULT_NAMESPACE } from '../lineage/config.ts'
import { parentId } from '../lineage/parent.ts'
import { contextOf } from '../store/context.ts'

/**
 * What `processtracker run` adds to its command's environment: the run's uuid, and the run as the
 * OpenLineage parent of whatever the command emits (a Spark job's `parentJobNamespace/…Name/
 * parentRunId`, or a processtracker start inside it).
 */
export function lineageChildEnvironment(store: DataStore, run: { processName: string; runUuid: string }): Record<string, string> {
  const namespace = contextOf(store).lineage?.config.namespace ?? DEFAULT_NAMESPACE
  return { PROCESS_TRACKER_RUN_UUID: run.runUuid, OPENLINEAGE_PARENT_ID: parentId(namespace, run.processName, run.runUuid) }
}
