/**
 * ProcessTracker for TypeScript: audit and guard data-integration processes.
 *
 * Glossary (also in docs/locking.md, with the locks that keep each idea true):
 * - **process**: a named, repeatable piece of data work; **run**: one execution of it (a
 *   `ProcessTracker`), with a status, times, counts and errors.
 * - **tracking id** (`processTrackingId`): a run's global id, what `resume` takes; **run number**
 *   (`processRunId`): 1, 2, 3 … per process.
 * - **active run**: its status has the category `active`, so it can still be changed; **stale run**:
 *   active, with a heartbeat timeout it has outlived (by the database's clock).
 * - **streak**: failed runs in a row; at `max_concurrent_failures` the process goes on **hold** (an
 *   `on hold` run, starts refused) until a **release** (`releaseHold`), which is not a success.
 * - **dependency**: parent → child between processes (starts wait for parents) or extracts (a parent
 *   that is `initializing`, `ready` or `loading` **blocks loading** of its children).
 * - **extract**: a file one process writes and another reads (`ExtractTracker`); **location**: the
 *   folder or S3 prefix it lives in (`LocationTracker`); **claim**: moving `ready` extracts to
 *   `loading` for a run, atomically, given back if the run fails.
 *
 * @packageDocumentation
 */
export * from './errors.ts'
export { DataStore, type OpenOptions, type ConnectionInfo } from './api/data-store.ts'
export type { ConnectionSource } from './config/settings.ts'
export type { Dialect } from './config/connection-spec.ts'
export { encryptPassword, decryptPassword } from './config/password.ts'
export { VERSION } from './version.ts'
export { ProcessTracker } from './api/process-tracker.ts'
export type { StartOptions } from './tracker/start-options.ts'
export { Lookups, LOOKUP_TOPICS, type LookupTopic, type LookupExtra } from './tracker/lookups.ts'
export type { DependencyChange, Explanation } from './tracker/admin.ts'
export { parseCalendarDate } from './tracker/validation.ts'
export type { ListRunsOptions, ProcessInfo, RunError, RunInfo } from './tracker/reading.ts'
export type { RunCount, RunFilters, RunView } from './tracker/run-views.ts'
export type { DependencyGraph, ListProcessesOptions, ProcessLink, ProcessState, ProcessView } from './tracker/process-views.ts'
export { PROCESS_STATES } from './tracker/process-views.ts'
export type { StoreCounts } from './tracker/store-counts.ts'
export type { ExtractView, ListExtractsOptions } from './extract/extract-views.ts'
export type { LocationView } from './extract/location-views.ts'
export { ExtractTracker, type RegisterExtractOptions, type AuditType } from './api/extract-tracker.ts'
export { LocationTracker, type RegisterLocationOptions } from './api/location-tracker.ts'
export type { LocationType } from './extract/location-path.ts'
export type { FileSize, FileSizeUnit } from './extract/file-size.ts'
export type { ClaimOptions, LocationFilter, StatusFilter, RegisterByLocationOptions, RegisterProgress } from './api/run-extract-methods.ts'
export type { ExtractHistoryEntry } from './extract/history.ts'
export { readS3Object } from './extract/s3-client.ts'
export {
  flushLineage,
  lineageStatus,
  type LineageStatus,
  type LineageOptions,
  type LineageTransportKind,
  type ParentRun,
  type DispatchCounts,
  type DispatchPolicy,
  type OutboxStatus,
} from './api/lineage.ts'
export type { ProcessContact, ProcessFilter, SourceAttribute, TargetAttribute } from './tracker/process-finders.ts'
export { importPythonDatabase, SECOND_ACTIVE_RUN_ERROR, type ImportPythonOptions, type ImportProgress } from './import/import-python.ts'
export type { ImportReport, ImportMend, ImportMendKind, ImportTableCount } from './import/report.ts'
