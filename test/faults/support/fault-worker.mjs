// A client of the fault suite: one OS process running run lifecycles against the built package
// while the suite breaks the database under it. It reports every call's result and every
// acknowledged write as JSON lines on stdout, and any crash (uncaught exception, unhandled
// rejection) before it dies. Stops on the line "stop" on stdin.
//
// argv[2] is JSON: { url, schema?, processes: string[], slots, clockSkewMs?, lockTimeoutMs,
//   statementTimeoutMs, poolSize, paused? } — a paused worker waits for the line "go".
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'

const options = JSON.parse(process.argv[2])
const emit = (message) => process.stdout.write(`${JSON.stringify(message)}\n`)

process.on('uncaughtException', (error) => {
  emit({ type: 'crash', kind: 'uncaughtException', message: String(error?.stack ?? error) })
  process.exit(3)
})
process.on('unhandledRejection', (error) => {
  emit({ type: 'crash', kind: 'unhandledRejection', message: String(error?.stack ?? error) })
  process.exit(3)
})

// A client whose clock is off: every Date made without arguments, and Date.now, are skewed.
if (options.clockSkewMs) {
  const RealDate = Date
  const skew = options.clockSkewMs
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + skew)
      else super(...args)
    }
    static now() {
      return RealDate.now() + skew
    }
  }
  globalThis.Date = SkewedDate
}

const { DataStore, ProcessTracker, ProcessTrackerError } = await import('../../../dist/index.js')

let stopping = false
let go
const started = new Promise((resolve) => (go = resolve))
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stop') {
    stopping = true
    go()
  }
  if (line.trim() === 'go') go()
})

/** Runs one public call and reports how it ended; rethrows so the caller can react. */
async function call(name, work) {
  try {
    const value = await work()
    emit({ type: 'call', name, code: 'ok' })
    return value
  } catch (error) {
    if (error instanceof ProcessTrackerError && /^PT_/.test(error.code)) {
      emit({
        type: 'call',
        name,
        code: error.details?.outcome === 'unknown' ? `${error.code} (outcome unknown)` : error.code,
        message: error.message,
      })
    } else {
      emit({ type: 'call', name, code: 'RAW', message: String(error?.stack ?? error) })
    }
    throw error
  }
}

const retriable = (error) => error?.code === 'PT_DATABASE_UNAVAILABLE' || error?.code === 'PT_LOCK_TIMEOUT'

let store
for (;;) {
  try {
    store = await call('DataStore.open', () =>
      DataStore.open({
        url: options.url,
        schema: options.schema,
        env: {},
        migrate: false,
        poolSize: options.poolSize,
        lockTimeoutMs: options.lockTimeoutMs,
        statementTimeoutMs: options.statementTimeoutMs,
        logLevel: 'SILENT',
      }),
    )
    break
  } catch {
    await sleep(200)
  }
}
emit({ type: 'ready', pid: process.pid })
// A paused worker was started ahead of its fault (starting Node on a busy machine takes seconds).
if (options.paused) await started

let counter = 0
async function slot(index) {
  while (!stopping) {
    // better-sqlite3 answers synchronously, so on SQLite a lifecycle that meets no lock wait resolves
    // in microtasks alone: yield once per lifecycle, or the 'stop' line on stdin is never read (the
    // worker spun until the fleet's 60 s SIGKILL, counting hundreds of thousands of calls).
    await new Promise((resolve) => setImmediate(resolve))
    const processName = options.processes[(counter + index) % options.processes.length]
    counter++
    let run
    try {
      run = await call('start', () => ProcessTracker.start(store, { processName, processType: 'Extract', heartbeatTimeoutSeconds: 2 }))
      emit({ type: 'ack', kind: 'start', id: run.processTrackingId, processName })
    } catch {
      await sleep(20)
      continue
    }
    const count = process.pid * 1000 + counter
    try {
      await call('setRecordCount', () => run.setRecordCount(count))
      emit({ type: 'ack', kind: 'count', id: run.processTrackingId, count })
    } catch {
      // counted; the run is completed (or reaped) below
    }
    try {
      await call('heartbeat', () => run.heartbeat())
    } catch {
      // counted
    }
    for (let attempt = 0; attempt < 5 && !stopping; attempt++) {
      try {
        await call('complete', () => run.complete())
        emit({ type: 'ack', kind: 'complete', id: run.processTrackingId })
        break
      } catch (error) {
        if (!retriable(error)) break
        await sleep(100 * (attempt + 1))
      }
    }
  }
}

await Promise.all(Array.from({ length: options.slots }, (_, index) => slot(index)))
await store.close()
emit({ type: 'done' })
process.exit(0)
