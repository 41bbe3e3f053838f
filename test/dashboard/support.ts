/**
 * Browser-test support: finding Debian's Chromium, running a real `processtracker serve` (the built
 * CLI, as a user runs it) on an isolated database, and seeding facts through the library.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { DataStore, ExtractTracker, ProcessHaltedError, ProcessOnHoldError, ProcessTracker } from '../../src/index.ts'
import { requireBuild } from '../support/build.ts'
import type { IsolatedDatabase } from '../support/dialects.ts'

/** Where Debian's `chromium` package puts the browser (`PROCESS_TRACKER_CHROMIUM` overrides). */
export const CHROMIUM_PATH = process.env.PROCESS_TRACKER_CHROMIUM ?? '/usr/lib/chromium/chromium'

/** Flags that keep Chromium from calling home during tests. */
export const CHROMIUM_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/**
 * Why the browser tests cannot run here, or null. Outside CI a missing browser skips them (loudly);
 * in CI it fails them, since `.ci/run` installs the package.
 */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null
  const reason = `no Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (or set PROCESS_TRACKER_CHROMIUM)`
  if (process.env.CI) throw new Error(`The dashboard browser tests need Chromium in CI, and ${reason}.`)
  process.stderr.write(`\n!!! SKIPPING the dashboard browser tests: ${reason}\n\n`)
  return reason
}

const BIN = fileURLToPath(new URL('../../bin/processtracker.js', import.meta.url))

/** The `max_concurrent_failures` the tests' servers and stores use. */
export const MAX_FAILURES = 2

/** A running `processtracker serve`. */
export interface Serve {
  url: string
  child: ChildProcessWithoutNullStreams
  stderr: () => string
  stop: () => Promise<void>
}

/** Starts `processtracker serve --port 0` on the database; resolves once it listens. */
export async function startServe(database: IsolatedDatabase, options: { auth?: boolean } = {}): Promise<Serve> {
  requireBuild() // the child runs dist/
  const args = [BIN, '--url', database.options.url, 'serve', '--port', '0', ...(options.auth === false ? ['--no-auth'] : [])]
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: mkdtempSync(join(tmpdir(), 'pt-home-')),
    PROCESS_TRACKER_MAX_CONCURRENT_FAILURES: String(MAX_FAILURES),
    ...(database.options.schema ? { PROCESS_TRACKER_SCHEMA: database.options.schema } : {}),
  }
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const lines = createInterface({ input: child.stdout })
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    once(child, 'exit').then(() => {
      throw new Error(`processtracker serve exited before listening:\n${stderr}`)
    }),
  ])
  const match = /listening on (\S+)/.exec(first)
  if (!match?.[1]) throw new Error(`unexpected first line from serve: ${first}\n${stderr}`)
  return {
    url: match[1],
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** What the seed made, for the assertions. */
export interface Seeded {
  completedRunId: number
  failedErrorText: string
  activeRunId: number
  staleRunId: number
  extractId: number
}

/**
 * Seeds, through the library: a chain extract-orders (12 runs, one failed) → load-warehouse (Hard) → report-daily (Soft);
 * a process put on hold by MAX_FAILURES failures with errors (flaky-import) and two more held ones
 * (held-a, held-b); a running run (stuck-job); a stale run (lost-worker); a never-run process; and an
 * extract with a history.
 */
export async function seed(store: DataStore): Promise<Seeded> {
  // Twelve runs of extract-orders, the sixth failed: the run-history chart and streak strip show both.
  const counts = [120, 340, 275, 310, 295, 0, 330, 350, 365, 342, 390, 401]
  let completedRunId = 0
  let extractId = 0
  for (const [index, count] of counts.entries()) {
    const run = await ProcessTracker.start(store, {
      processName: 'extract-orders',
      processType: 'Extract',
      toolName: 'Python',
      actorName: 'cron',
    })
    if (index === 5) {
      await run.raiseRunError('File Error', { description: 'orders.csv was truncated at 2 MB', failRun: true }).catch((error: unknown) => {
        if (!(error instanceof ProcessHaltedError)) throw error
      })
      continue
    }
    await run.setRecordCount(count)
    if (index === counts.length - 1) {
      const extract = await ExtractTracker.register(run, { filename: 'orders-2026-12-01.csv', locationPath: '/data/orders/' })
      await extract.changeExtractStatus('ready')
      extractId = extract.extractId
    }
    await run.complete()
    completedRunId = run.processTrackingId
  }
  await store.defineProcess({ processName: 'load-warehouse', processType: 'Load' })
  await store.defineProcess({ processName: 'report-daily', processType: 'Load' })
  await store.addProcessDependency('extract-orders', 'load-warehouse', { type: 'Hard' })
  await store.addProcessDependency('load-warehouse', 'report-daily', { type: 'Soft' })
  const loaded = await ProcessTracker.start(store, { processName: 'load-warehouse', processType: 'Load' })
  await loaded.setRecordCount(735)
  await loaded.complete()

  const failedErrorText = 'row 17 has no customer key'
  for (const name of ['flaky-import', 'held-a', 'held-b']) {
    for (let attempt = 0; attempt < MAX_FAILURES; attempt += 1) {
      const run = await ProcessTracker.start(store, { processName: name, processType: 'Extract' })
      await run.raiseRunError('Data Error', { description: name === 'flaky-import' ? failedErrorText : `${name} failed` })
      await run.fail()
    }
    // The next start records the hold and is refused.
    await ProcessTracker.start(store, { processName: name, processType: 'Extract' }).then(
      () => {
        throw new Error(`${name} should be on hold`)
      },
      (error: unknown) => {
        if (!(error instanceof ProcessOnHoldError)) throw error
      },
    )
  }

  const active = await ProcessTracker.start(store, { processName: 'stuck-job', processType: 'Extract', actorName: 'cron' })
  const lost = await ProcessTracker.start(store, { processName: 'lost-worker', processType: 'Extract', heartbeatTimeoutSeconds: 1 })
  await store.defineProcess({ processName: 'never-ran', processType: 'Extract' })
  // A run is stale once its timeout passes by the database's clock: wait for that fact, not for a time.
  while (!(await store.getRun(lost.processTrackingId)).stale) await new Promise((resolve) => setTimeout(resolve, 200))
  return { completedRunId, failedErrorText, activeRunId: active.processTrackingId, staleRunId: lost.processTrackingId, extractId }
}

/** Opens a store on the database with the tests' `max_concurrent_failures`. */
export function openStore(database: IsolatedDatabase): Promise<DataStore> {
  return database.open({ maxConcurrentFailures: MAX_FAILURES })
}
