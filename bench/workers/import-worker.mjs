// The import section's worker (bench/import.ts): imports a Python ProcessTracker database into a
// fresh PostgreSQL schema through the BUILT package, in a process of its own so its peak RSS is the
// import's alone. argv: JSON { from, target: { url, schema } }. Prints one JSON line on stdout.
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { DataStore, importPythonDatabase } from '../../dist/index.js'

const { from, target } = JSON.parse(process.argv[2] ?? '{}')
const store = await DataStore.open({ ...target, env: {}, homeDir: os.tmpdir() })
// RSS every 100,000 runs read: flat memory shows as a flat series.
const samples = []
let nextSample = 0
try {
  const t0 = performance.now()
  const report = await importPythonDatabase(store, {
    from,
    onProgress: ({ table, rowsRead }) => {
      if (table === 'process_tracking' && rowsRead >= nextSample) {
        samples.push({ runsRead: rowsRead, rssBytes: process.memoryUsage().rss })
        nextSample += 100_000
      }
    },
  })
  const seconds = (performance.now() - t0) / 1000
  const runs = report.tables.find((row) => row.table === 'process_tracking')?.rowsWritten ?? 0
  process.stdout.write(
    `${JSON.stringify({ seconds, runs, peakRssBytes: process.resourceUsage().maxRSS * 1024, samples, mends: report.mends.map((m) => ({ kind: m.kind, rows: m.ids.length })) })}\n`,
  )
} finally {
  await store.close()
}
