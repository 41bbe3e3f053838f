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
