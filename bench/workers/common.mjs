// Shared by the benchmark's worker processes. Workers run under plain `node` and import the BUILT
// package (dist/), exactly as a user's process would; they talk to the orchestrator over the IPC
// channel of child_process.fork: one JSON message in, at most one JSON message out.
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { DataStore, ExtractTracker, ProcessTracker } from '../../dist/index.js'
// Not in the package barrel yet (see bench/api.ts).

/** The six calls of one lifecycle, in order (benchmark.md, "The lifecycle"). */
export const STEPS = ['start', 'register', 'ready', 'count', 'dates', 'complete']

const LOW = new Date('2020-01-01T00:00:00Z')
const HIGH = new Date('2020-02-01T00:00:00Z')

/** Opens a store on the benchmark's isolated database; no config file or env var is consulted. */
export function openStore(options) {
  return DataStore.open({ ...options, env: {}, homeDir: os.tmpdir() })
}

/** The start options of every benchmarked start (benchmark.md, step 1). */
export function startOptions(processName) {
  return {
    processName,
    processType: 'Extract',
    actorName: 'bench',
    toolName: 'Spark',
    sources: 'Bench Source',
    targets: 'Bench Target',
  }
}

/** Per-call totals: statements and commits (store.statementCounts deltas) and milliseconds. */
export function newMeter() {
  return Object.fromEntries(STEPS.map((step) => [step, { statements: 0, commits: 0, ms: 0 }]))
}

/**
 * Lifecycle i of `tag`, call by call, each timed and its statements counted into `meter`. Reading
 * store.statementCounts copies two numbers, and performance.now() costs well under a microsecond.
 */
export async function lifecycle(store, tag, i, meter) {
  let counts = store.statementCounts
  let t = performance.now()
  const mark = (step) => {
    const now = performance.now()
    const next = store.statementCounts
    const entry = meter[step]
    entry.statements += next.statements - counts.statements
    entry.commits += next.commits - counts.commits
    entry.ms += now - t
    counts = next
    t = now
  }
  const run = await ProcessTracker.start(store, startOptions(`bench ${tag} ${i % 10}`))
  mark('start')
  const extract = await ExtractTracker.register(run, {
    filename: `file_${tag}_${i}.csv`,
    locationName: 'bench loc',
    locationPath: '/tmp/bench/loc',
  })
  mark('register')
  await extract.changeExtractStatus('ready')
  mark('ready')
  await run.setRecordCount(100)
  mark('count')
  await run.setLowHighDates({ low: LOW, high: HIGH })
  mark('dates')
  await run.changeRunStatus('completed')
  mark('complete')
}

/** Peak resident set size of this process so far, in bytes. */
export function peakRssBytes() {
  return process.resourceUsage().maxRSS * 1024
}

/**
 * Serves the orchestrator's messages one at a time with `handle(message)`, which returns the reply
 * (or undefined). Any error is reported as `{ type: 'error' }` and ends the worker.
 */
export function serve(handle) {
  let queue = Promise.resolve()
  process.on('message', (message) => {
    queue = queue.then(async () => {
      try {
        const reply = await handle(message)
        if (reply !== undefined) process.send(reply)
        if (message.type === 'stop') process.disconnect()
      } catch (error) {
        process.send({ type: 'error', message: String(error?.stack ?? error), code: error?.code ?? null }, () => process.exit(1))
      }
    })
  })
}
