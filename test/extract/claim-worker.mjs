// A child process for the multi-process claim test. It imports the BUILT package (dist/), as a user
// would: opens the store, starts its own run, prints "ready", waits for "go" on stdin, then claims
// from the shared pool until a claim comes back empty (pausing briefly after each claim, as loading
// would), and prints the claimed ids as one JSON line.
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { DataStore } from '../../dist/api/data-store.js'
import { ProcessTracker } from '../../dist/api/process-tracker.js'
import { claimExtracts } from '../../dist/api/run-extract-methods.js'

const { options, processName, locationName, limit } = JSON.parse(process.argv[2] ?? '{}')
const store = await DataStore.open({ ...options, env: {} })
const run = await ProcessTracker.start(store, { processName, processType: 'Load' })
process.stdout.write('ready\n')
await once(process.stdin, 'data')

const claimed = []
for (;;) {
  const batch = await claimExtracts(run, { locationName, limit })
  if (batch.length === 0) break
  for (const extract of batch) claimed.push(extract.extractId)
  // "Load" the files: between claims the others get their turn (SQLite's busy handler sleeps, so a
  // claimer looping without pause would otherwise take the whole pool before the others wake up).
  await sleep(5)
}
await run.complete()
await store.close()
process.stdout.write(`${JSON.stringify({ processTrackingId: run.processTrackingId, claimed })}\n`)
process.exit(0)
