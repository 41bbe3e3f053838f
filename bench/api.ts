/**
 * The one place the orchestrator imports processtracker from: the BUILT package (dist/), which is
 * what users run (`npm run bench` builds first).
 */
export { DataStore, ProcessTracker, VERSION } from '../dist/index.js'
