/**
 * The one place the orchestrator imports processtracker from: the BUILT package (dist/), which is
 * what users run (`npm run bench` builds first).
 */
export { DataStore, ProcessTracker, VERSION } from '../dist/index.js'
// The store's context (for the bench's direct SQL), from the same build as DataStore: a WeakMap keyed by dist's classes.
export { contextOf } from '../dist/store/context.js'
