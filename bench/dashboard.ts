/**
 * `npm run bench`'s dashboard section (run by main.ts): how long the dashboard's overview of 1,000 processes takes to be
 * usable in Chromium on a loopback `processtracker serve` (dashboard.md: within 1 second). "Usable"
 * is the moment the first page of rows and the counts per state are on screen, measured from the
 * navigation's start by the browser's own clock. Needs Debian's Chromium; says so and exits 0 without.
 * Not asserted anywhere: a figure for docs/performance.md.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { DataStore, ProcessTracker } from './api.ts'

const PROCESSES = 1000
const CHROMIUM = process.env.PROCESS_TRACKER_CHROMIUM ?? '/usr/lib/chromium/chromium'
const BIN = fileURLToPath(new URL('../bin/processtracker.js', import.meta.url))

/** The dashboard figure, or why it was not measured. */
export type DashboardResult = { processes: number; loads: number; medianMs: number } | { skipped: string } | { failed: string }

/** Seeds a SQLite store, serves it with the built command and times the overview in Chromium. */
export async function measureDashboard(): Promise<DashboardResult> {
  if (!existsSync(CHROMIUM)) return { skipped: `no Chromium at ${CHROMIUM} (apt-get install -y chromium)` }
  const dir = mkdtempSync(join(tmpdir(), 'pt-bench-dashboard-'))
  const url = `sqlite:${join(dir, 'tracker.db')}`
  try {
    process.stderr.write(`[bench] dashboard: seeding ${PROCESSES} processes\n`)
    const store = await DataStore.open({ url, env: {} })
    for (let index = 0; index < PROCESSES; index += 1) {
      const run = await ProcessTracker.start(store, { processName: `process-${String(index).padStart(4, '0')}`, processType: 'Extract' })
      await run.setRecordCount(index * 10)
      if (index % 7 === 0) await run.fail()
      else if (index % 11 !== 0) await run.complete() // every 11th stays running
    }
    await store.close()

    const child = spawn(process.execPath, [BIN, '--url', url, 'serve', '--port', '0', '--no-auth'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { PATH: process.env.PATH, HOME: dir },
    })
    try {
      const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))
      const base = /listening on (\S+)/.exec(first)?.[1]
      if (!base) throw new Error(`serve said: ${first}`)
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      })
      try {
        // The dashboard's CSP forbids eval, which waitForFunction's string predicate needs.
        const page = await browser.newPage({ bypassCSP: true })
        const timings: number[] = []
        for (let round = 0; round < 5; round += 1) {
          await page.goto(`${base}/`, { waitUntil: 'commit' })
          // Evaluated in the page (a string: this file is type-checked without the DOM library).
          await page.waitForFunction(
            "document.querySelectorAll('tbody tr').length >= 100 && /1,?000 processes/.test(document.body.textContent)",
          )
          timings.push(await page.evaluate(() => performance.now()))
        }
        timings.sort((a, b) => a - b)
        return { processes: PROCESSES, loads: timings.length, medianMs: timings[Math.floor(timings.length / 2)] ?? Number.NaN }
      } finally {
        await browser.close()
      }
    } finally {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
