/**
 * ProcessTracker for TypeScript: audit and guard data-integration processes.
 *
 * @packageDocumentation
 */
export * from './errors.ts'
export { DataStore, type OpenOptions } from './store/data-store.ts'
export type { Dialect } from './config/connection-spec.ts'
export { encryptPassword, decryptPassword } from './config/password.ts'
export { VERSION } from './version.ts'
export { ProcessTracker } from './tracker/process-tracker.ts'
export type { StartOptions } from './tracker/start-options.ts'
export { Lookups, LOOKUP_TOPICS, type LookupTopic, type LookupExtra } from './tracker/lookups.ts'
export type { Explanation } from './tracker/admin.ts'
export type { ListRunsOptions, ProcessInfo, RunError, RunInfo } from './tracker/reading.ts'
export type { ProcessContact, ProcessFilter, SourceAttribute, TargetAttribute } from './tracker/process-finders.ts'
