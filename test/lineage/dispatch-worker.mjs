// A dispatcher in its own OS process, for the delivery tests: imports the BUILT package (dist/),
// opens the store with lineage on, and sends the outbox in a loop until it is killed.
import { setTimeout as sleep } from 'node:timers/promises'
import { DataStore, flushLineage } from '../../dist/index.js'

const { open, lineage, policy } = JSON.parse(process.argv[2] ?? '{}')
const store = await DataStore.open({ ...open, env: {}, lineage })
process.stdout.write('ready\n')
for (;;) {
  try {
    await flushLineage(store, { policy })
  } catch (error) {
    process.stderr.write(`flush failed: ${String(error?.message ?? error)}\n`)
  }
  await sleep(20)
}
