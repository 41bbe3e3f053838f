// One benchmark client: opens a store, runs `warmup` lifecycles, says `ready`, waits for `go` (the
// orchestrator releases every client with one message each), runs `count` lifecycles and reports
// its own wall time, statement counts and peak RSS. Lifecycle i uses process `bench <tag> <i % 10>`,
// so a client with its own tag works on its own ten processes.
import { performance } from 'node:perf_hooks'
import { lifecycle, newMeter, openStore, peakRssBytes, serve } from './common.mjs'

let store
let init
/** Warm-up lifecycles per block when checking for a steady rate. */
const BLOCK = 25

serve(async (message) => {
  switch (message.type) {
    case 'init': {
      init = message
      store = await openStore(init.open)
      // The warm-up creates the ten processes, fills the store's lookup-id cache and lets V8
      // optimise the hot path: at least `warmup` lifecycles, then blocks of BLOCK more until two
      // blocks in a row run at rates within 5% of each other (at most 3 × warmup in all), so the
      // measured loop sees the steady state of a long-lived worker.
      const warm = newMeter()
      let i = 0
      let last = Number.NaN
      const block = async () => {
        const t0 = performance.now()
        for (const end = i + BLOCK; i < end; i++) await lifecycle(store, init.tag, i, warm)
        return BLOCK / (performance.now() - t0)
      }
      while (i < init.warmup) last = await block()
      while (i < 3 * init.warmup) {
        const rate = await block()
        const steady = Math.abs(rate - last) <= 0.05 * last
        last = rate
        if (steady) break
      }
      init.warmedUp = i
      return { type: 'ready' }
    }
    case 'go': {
      const meter = newMeter()
      const before = store.statementCounts
      const cpu = process.cpuUsage()
      const t0 = performance.now()
      for (let i = init.warmedUp; i < init.warmedUp + init.count; i++) await lifecycle(store, init.tag, i, meter)
      const wallMs = performance.now() - t0
      const { user, system } = process.cpuUsage(cpu)
      const after = store.statementCounts
      return {
        type: 'result',
        count: init.count,
        warmedUp: init.warmedUp,
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
