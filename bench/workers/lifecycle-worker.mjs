// One benchmark client: opens a store, runs `warmup` lifecycles, says `ready`, waits for `go` (the
// orchestrator releases every client with one message each), runs `count` lifecycles and reports
// its own wall time, statement counts and peak RSS. Lifecycle i uses process `bench <tag> <i % 10>`,
// so a client with its own tag works on its own ten processes.
import { performance } from 'node:perf_hooks'
import { lifecycle, newMeter, openStore, peakRssBytes, serve } from './common.mjs'

let store
let init

serve(async (message) => {
  switch (message.type) {
    case 'init': {
      init = message
      store = await openStore(init.open)
      // The warm-up creates the ten processes and fills the store's lookup-id cache: the measured
      // loop sees the steady state of a long-lived worker.
      const warm = newMeter()
      for (let i = 0; i < init.warmup; i++) await lifecycle(store, init.tag, i, warm)
      return { type: 'ready' }
    }
    case 'go': {
      const meter = newMeter()
      const before = store.statementCounts
      const cpu = process.cpuUsage()
      const t0 = performance.now()
      for (let i = init.warmup; i < init.warmup + init.count; i++) await lifecycle(store, init.tag, i, meter)
      const wallMs = performance.now() - t0
      const { user, system } = process.cpuUsage(cpu)
      const after = store.statementCounts
      return {
        type: 'result',
        count: init.count,
        wallMs,
        // This process's CPU time (JS, query building, driver, syscalls): what one client costs.
        cpuMs: (user + system) / 1000,
        statements: after.statements - before.statements,
        commits: after.commits - before.commits,
        steps: meter,
      }
    }
    case 'stop':
      await store?.close()
      return { type: 'stopped', peakRssBytes: peakRssBytes() }
    default:
      throw new Error(`unknown message ${JSON.stringify(message)}`)
  }
})
