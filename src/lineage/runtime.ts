import type { LineageConfig } from './config.ts'
import type { ParentRun } from './record.ts'

/** What an open store with lineage on keeps: its settings and the RUNNING throttle's memory. */
export interface LineageRuntime {
  readonly config: LineageConfig
  /** processTrackingId → when (Date.now()) this store last wrote a RUNNING event for the run. */
  readonly lastRunning: Map<number, number>
  /** The parent run from env `OPENLINEAGE_PARENT_ID`, used when a start gives none. */
  readonly defaultParent: ParentRun | null
}

export function createLineageRuntime(config: LineageConfig, defaultParent: ParentRun | null): LineageRuntime {
  return { config, lastRunning: new Map(), defaultParent }
}
