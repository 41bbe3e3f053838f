/**
 * The shapes the dashboard reads from the HTTP API (http.md "Resources"). Dates arrive as ISO 8601
 * strings in UTC; they are formatted in the browser's time zone by `format.ts`.
 */

/** A process's state from its latest run's status category (http.md `GET /api/v1/processes`). */
export type ProcessState = 'running' | 'on-hold' | 'failed' | 'released' | 'completed' | 'never-run'

/** http.md "RUN". */
export interface Run {
  processTrackingId: number
  processRunId: number
  processId: number
  processName: string
  processRunName: string | null
  status: string
  actorName: string | null
  startDateTime: string
  endDateTime: string | null
  recordCount: number
  insertCount: number
  updateCount: number
  lowDateTime: string | null
  highDateTime: string | null
  isLatestRun: boolean
  lastError: { errorType: string; description: string | null } | null
  heartbeatTimeoutSeconds: number | null
  lastHeartbeatDateTime: string | null
  stale: boolean
  errorCount: number
  extractCount: number
}

export interface Relative {
  processName: string
  type: string
}

/** http.md "PROCESS" (sources and targets are shown when the server sends them). */
export interface Process {
  processId: number
  processName: string
  processType: string | null
  toolName: string | null
  scheduleFrequency: string
  totalRecordCount: number
  lastCompletedRunDateTime: string | null
  lastFailedRunDateTime: string | null
  lastErroredRunDateTime: string | null
  state: ProcessState
  latestRun: Run | null
  onHold: boolean
  failureStreak: number
  parents: Relative[]
  children: Relative[]
  sources?: string[]
  targets?: string[]
}

/** `store.explain` (api.md). */
export interface Explanation {
  allowed: boolean
  rule: 'dependency' | 'running' | 'on-hold' | 'failure-threshold' | null
  code?: string
  message?: string
  blockingRunId?: number
  blockingProcessName?: string
}

export interface RunError {
  errorType: string
  description: string | null
  occurredAt: string
}

export interface Extract {
  extractId: number
  filename: string
  fullFilename: string
  status: string
  location: { locationId: number; locationName: string; locationPath: string; locationType: string; bucketName: string | null }
  filetype: string | null
  compressionType: string | null
  fileSize: { amount: number; unit: string } | null
  writeRecordCount: number | null
  loadRecordCount: number | null
  writeLowDateTime: string | null
  writeHighDateTime: string | null
  loadLowDateTime: string | null
  loadHighDateTime: string | null
  lastChangedByTrackingId?: number | null
}

export interface ExtractHistoryEntry {
  processTrackingId: number
  status: string
  eventDateTime: string
}

export interface Location {
  locationId: number
  locationName: string
  locationPath: string
  locationType: string
  bucketName: string | null
  fileCount: number | null
}

export interface DependencyGraph {
  nodes: { processName: string; state: ProcessState; latestRun: Run | null }[]
  edges: { parent: string; child: string; type: string }[]
}

/** What the dashboard's own `GET /dashboard/session` says about the visitor. */
export interface Session {
  /** False under `serve --no-auth`: no sign-in is asked. */
  authRequired: boolean
  signedIn: boolean
  name: string | null
  scope: 'read' | 'write' | 'admin' | null
  /** The server's `max_concurrent_failures`, the streak strip's yardstick. */
  maxConcurrentFailures: number
}
