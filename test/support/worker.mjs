// A child process for the multi-process tests. It imports the BUILT package (dist/), as a user
// would, and answers JSON commands read line by line from stdin with one JSON line on stdout.
import { createInterface } from 'node:readline'
import { sql } from 'kysely'
import { DataStore, ProcessTracker } from '../../dist/index.js'
import { contextOf } from '../../dist/store/context.js'

const options = JSON.parse(process.argv[2] ?? '{}')
let store
const runs = new Map()

async function handle(message) {
  switch (message.cmd) {
    case 'open':
      store = await DataStore.open({ ...options, env: {}, ...(message.options ?? {}) })
      return { ok: true }
    case 'start': {
      const run = await ProcessTracker.start(store, message.options)
      runs.set(run.processTrackingId, run)
      if (message.heartbeat) run.startHeartbeat({ intervalSeconds: message.heartbeat })
      return { ok: true, processTrackingId: run.processTrackingId, processRunId: run.processRunId }
    }
    case 'complete':
      await runs.get(message.processTrackingId).complete()
      return { ok: true }
    case 'busy': {
      // `count` runs of one process, one after the other (start, record count, complete); then
      // SQLite's automatic checkpoint threshold, which says whether the checkpoint thread runs.
      for (let i = 0; i < message.count; i++) {
        const run = await ProcessTracker.start(store, message.options)
        await run.setRecordCount(i)
        await run.complete()
      }
      const { rows } = await sql`pragma wal_autocheckpoint`.execute(contextOf(store).db)
      return { ok: true, autocheckpoint: Number(rows[0]?.wal_autocheckpoint) }
    }
    case 'close':
      await store?.close()
      return { ok: true }
    default:
      throw new Error(`unknown command ${message.cmd}`)
  }
}

const lines = createInterface({ input: process.stdin })
for await (const line of lines) {
  const message = JSON.parse(line)
  try {
    const reply = await handle(message)
    process.stdout.write(`${JSON.stringify({ id: message.id, ...reply })}\n`)
  } catch (error) {
    process.stdout.write(
      `${JSON.stringify({ id: message.id, ok: false, code: error.code ?? 'UNCODED', name: error.name, message: String(error.message) })}\n`,
    )
  }
  if (message.cmd === 'close') break
}
process.exit(0)
