// One contender: on each `start` it tries to start the SAME process as every other contender and
// reports whether it won and how long the call took; the winner holds its run until told to
// `complete` it (after every contender's attempt of the round has returned).
import { performance } from 'node:perf_hooks'
import { ProcessTracker } from '../../dist/index.js'
import { openStore, peakRssBytes, serve, startOptions } from './common.mjs'

let store
let processName
let held

serve(async (message) => {
  switch (message.type) {
    case 'init':
      store = await openStore(message.open)
      processName = message.processName
      return { type: 'ready' }
    case 'start': {
      const before = store.statementCounts.statements
      const t0 = performance.now()
      try {
        held = await ProcessTracker.start(store, startOptions(processName))
        const ms = performance.now() - t0
        return { type: 'attempt', won: true, ms, statements: store.statementCounts.statements - before, code: null }
      } catch (error) {
        const ms = performance.now() - t0
        if (typeof error?.code !== 'string' || !error.code.startsWith('PT_')) throw error
        return { type: 'attempt', won: false, ms, statements: store.statementCounts.statements - before, code: error.code }
      }
    }
    case 'complete':
      await held.complete()
      held = undefined
      return { type: 'completed' }
    case 'stop':
      await store?.close()
      return { type: 'stopped', peakRssBytes: peakRssBytes() }
    default:
      throw new Error(`unknown message ${JSON.stringify(message)}`)
  }
})
