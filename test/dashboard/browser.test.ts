import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataStore } from '../../src/index.ts'
import { createToken } from '../../src/server/token-store.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { Worker } from '../support/workers.ts'
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  chromiumMissing,
  MAX_FAILURES,
  openStore,
  seed,
  startServe,
  type Seeded,
  type Serve,
} from './support.ts'

/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a real
 * `processtracker serve` (the built CLI) on SQLite and PostgreSQL, with data made through the
 * library. Run `npm run build` first. `PROCESS_TRACKER_SCREENSHOTS=DIR` also saves screenshots of
 * the views, light and dark, into DIR (the README's come from there).
 */
const missing = chromiumMissing()
const BROWSER_DIALECTS = DIALECTS.filter((dialect) => dialect === 'sqlite' || dialect === 'postgresql')
const SCREENSHOTS = process.env.PROCESS_TRACKER_SCREENSHOTS
/** The axe rules a colour scheme can break. */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block']

if (missing) {
  describe('dashboard in a browser', () => {
    it.skip(`SKIPPED — ${missing}`, () => undefined)
  })
}

describe.skipIf(missing !== null).each(BROWSER_DIALECTS)('dashboard in Chromium on %s', (dialect) => {
  let database: IsolatedDatabase
  let store: DataStore
  let serve: Serve
  let browser: Browser
  let facts: Seeded
  let adminToken = ''
  let readToken = ''

  beforeAll(async () => {
    database = await createIsolatedDatabase(dialect)
    store = await openStore(database)
    facts = await seed(store)
    adminToken = (await createToken(store, 'ui-admin', 'admin')).secret
    readToken = (await createToken(store, 'ui-reader', 'read')).secret
    serve = await startServe(database)
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
  })
  afterAll(async () => {
    await browser.close()
    await serve.stop()
    await store.close()
    await database.drop()
  })

  /** A fresh browser profile whose console errors are collected (`allowed` ones excepted). */
  async function open(scheme: 'light' | 'dark' = 'light'): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 900 }, baseURL: serve.url })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`)
    })
    page.on('pageerror', (error) => errors.push(error.message))
    return { context, page, errors }
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto('/')
    await page.getByLabel('Token').fill(token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Processes' }).waitFor()
  }

  /**
   * axe-core on the current view: no serious or critical violation. The dark scheme changes colours
   * only (the markup is the light one's, audited in full): there, only the colour rules run.
   */
  async function audit(page: Page, view: string, scheme: 'light' | 'dark' = 'light'): Promise<void> {
    const builder = new AxeBuilder({ page })
    const result = await (scheme === 'dark' ? builder.withRules(COLOUR_RULES) : builder).analyze()
    const bad = result.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    expect(
      bad.map(
        (violation) => `${view}: ${violation.id} (${violation.impact}) ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
      ),
    ).toEqual([])
  }

  async function screenshot(page: Page, name: string, scheme: string): Promise<void> {
    if (!SCREENSHOTS || dialect !== 'sqlite') return
    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${scheme}.png`), fullPage: true })
  }

  it('refuses a wrong token at sign-in', async () => {
    const { context, page, errors } = await open()
    await page.goto('/')
    await page.getByLabel('Token').fill('pt_wrong-token-0000000000000000000000000000')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Sign-in refused: The token is unknown or revoked/)
    expect(await page.getByRole('heading', { name: 'Processes' }).count()).toBe(0)
    expect(await context.cookies()).toEqual([])
    await audit(page, 'sign-in')
    // The refused sign-in's 401 is the one error the browser itself logs.
    expect(errors.filter((error) => !/status of 401/.test(error))).toEqual([])
    await context.close()
  })

  it.each(['light', 'dark'] as const)(
    'shows every view with the seeded facts to a read token, offering no action (%s)',
    async (scheme) => {
      {
        const { context, page, errors } = await open(scheme)
        await signIn(page, readToken)

        // Overview: states, counts, stale mark, on-hold first.
        const row = (name: string) => page.locator(`tr[data-process="${name}"]`)
        await row('never-ran').waitFor()
        expect(await page.locator('tbody tr').count()).toBe(9)
        expect(await page.locator('tbody tr').first().getAttribute('data-process')).toBe('flaky-import')
        expect(await row('flaky-import').textContent()).toContain('on hold')
        expect(await row('stuck-job').textContent()).toContain('running')
        expect(await row('lost-worker').textContent()).toContain('stale')
        expect(await row('extract-orders').textContent()).toContain('completed')
        expect(await row('extract-orders').textContent()).toContain('401')
        expect(await row('never-ran').textContent()).toContain('never run')
        expect(await page.getByRole('list', { name: 'Processes per state' }).textContent()).toMatch(/3\s*‖\s*on hold/)
        await screenshot(page, 'overview', scheme)
        await audit(page, 'overview', scheme)
        await page.getByLabel('Filter by name').fill('held')
        await expect.poll(() => page.locator('tbody tr').count()).toBe(2)
        await page.getByLabel('Filter by name').fill('')
        await page.getByRole('button', { name: /^on hold \(3\)/ }).click()
        await expect.poll(() => page.locator('tbody tr').count()).toBe(3)
        expect(page.url()).toContain('state=on-hold')

        // A process: charts, runs, relatives, attributes; nothing of another process.
        await page.goto('/processes/extract-orders')
        await page.getByRole('heading', { name: 'Runs' }).waitFor()
        await page.locator('table tbody tr').nth(11).waitFor()
        expect(await page.locator('svg.bars rect.bar').count()).toBe(12)
        expect(await page.locator('svg.bars rect.bar.tone-failed').count()).toBe(1)
        expect(await page.locator('.squares li').count()).toBe(12)
        const processText = (await page.locator('main').textContent()) ?? ''
        expect(processText).toContain('A start now would be allowed')
        expect(processText).toContain('load-warehouse')
        expect(processText).toContain('Python')
        expect(processText).toContain('from 0 to 401, latest 401')
        expect(processText).toContain('orders.csv was truncated at 2 MB')
        expect(processText).not.toContain(facts.failedErrorText)
        expect(processText).not.toContain('flaky-import')
        await screenshot(page, 'process', scheme)
        await audit(page, 'process', scheme)

        // A held process: the streak against max_concurrent_failures, no release for a read token.
        await page.goto('/processes/flaky-import')
        await page.getByText(/Failure streak: 2 of 2/).waitFor()
        expect(await page.locator('main').textContent()).toContain('A start now would be refused')
        expect(await page.getByRole('button', { name: 'Release hold' }).count()).toBe(0)
        await screenshot(page, 'process-on-hold', scheme)

        // Back button: the previous view, no reload.
        await page.goBack()
        await page.getByRole('heading', { name: 'Runs' }).waitFor()
        expect(page.url()).toMatch(/\/processes\/extract-orders$/)

        // A run: fields, errors, extracts with history links; no Fail run for a read token.
        await page.goto(`/runs/${facts.activeRunId}`)
        await page.getByText('Errors (0)').waitFor()
        expect(await page.locator('main').textContent()).toContain('stuck-job')
        expect(await page.getByRole('button', { name: 'Fail run' }).count()).toBe(0)
        await audit(page, 'run', scheme)
        await page.goto(`/runs/${facts.completedRunId}`)
        await page.getByText('Extracts (1)').waitFor()
        await page.getByRole('link', { name: 'orders-2026-12-01.csv' }).click()
        await page.getByRole('heading', { name: 'History of orders-2026-12-01.csv' }).waitFor()
        await expect.poll(() => page.locator('ol.history li').count()).toBe(2)
        expect(await page.locator('ol.history').textContent()).toMatch(/initializing.*ready/s)
        await screenshot(page, 'extracts', scheme)
        await audit(page, 'extracts', scheme)

        // The graph: every process a box, Hard solid and Soft dashed arrows.
        await page.goto('/graph')
        await page.locator('svg.graph a.node').first().waitFor()
        expect(await page.locator('svg.graph a.node').count()).toBe(9)
        expect(await page.locator('svg.graph path.edge').count()).toBe(2)
        expect(await page.locator('svg.graph path.edge.soft').count()).toBe(1)
        await screenshot(page, 'graph', scheme)
        await audit(page, 'graph', scheme)
        await page.locator('a.node[data-process="load-warehouse"]').focus()
        await page.keyboard.press('Enter')
        await page.getByRole('heading', { name: /load-warehouse/ }).waitFor()

        // On hold: the three held processes with their errors; no release for a read token.
        await page.goto('/on-hold')
        await page.locator('tr[data-process="held-b"]').waitFor()
        expect(await page.locator('tbody tr').count()).toBe(3)
        expect(await row('flaky-import').textContent()).toContain(facts.failedErrorText)
        expect(await page.getByRole('button', { name: /Release/ }).count()).toBe(0)
        await screenshot(page, 'on-hold', scheme)
        await audit(page, 'on-hold', scheme)

        expect(errors).toEqual([])
        await context.close()
      }
    },
    120_000,
  )

  it('shows a run started by another OS process without a reload', async () => {
    const { context, page, errors } = await open()
    await signIn(page, readToken)
    await page.locator('tr[data-process="never-ran"]').waitFor()
    await page.evaluate(() => {
      ;(globalThis as unknown as { notReloaded: boolean }).notReloaded = true
    })
    await expect.poll(() => page.locator('.live').textContent()).toContain('live')
    const worker = new Worker(database.options)
    try {
      const opened = await worker.send({ cmd: 'open', options: { maxConcurrentFailures: MAX_FAILURES } })
      expect(opened.ok, opened.message).toBe(true)
      const started = await worker.send({ cmd: 'start', options: { processName: 'live-arrival', processType: 'Extract' } })
      expect(started.ok, started.message).toBe(true)
      const committed = Date.now()
      // The contract allows the event 2 s after the commit; the refetch that follows is extra.
      await page.locator('tr[data-process="live-arrival"]').waitFor({ timeout: 5000 })
      process.stderr.write(`dashboard (${dialect}): the run started in another process appeared after ${Date.now() - committed} ms\n`)
      expect(await page.locator('tr[data-process="live-arrival"]').textContent()).toContain('running')
      expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
    } finally {
      await worker.close()
    }
    expect(errors).toEqual([])
    await context.close()
  })

  it('lets an admin release holds and fail a run, each confirmed', async () => {
    const { context, page, errors } = await open()
    await signIn(page, adminToken)

    await page.goto('/processes/flaky-import')
    await page.getByRole('button', { name: 'Release hold' }).click()
    const dialog = page.getByRole('dialog')
    expect(await dialog.textContent()).toContain('Release the hold on flaky-import?')
    await dialog.getByRole('button', { name: 'Release hold' }).click()
    await page.getByText(/Hold released: run #3 is now released/).waitFor()
    expect((await store.getProcessView('flaky-import')).state).toBe('released')

    await page.goto('/on-hold')
    await page.locator('tr[data-process="held-b"]').waitFor()
    expect(await page.locator('tbody tr').count()).toBe(2)
    await page.getByLabel('Select held-a').check()
    await page.getByLabel('Select held-b').check()
    await page.getByRole('button', { name: 'Release selected (2)' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Release 2 holds' }).click()
    await page.getByText('held-b: released').waitFor()
    expect(await page.getByRole('status', { name: 'Release results' }).textContent()).toContain('held-a: released')
    await page.getByText('No process is on hold.').waitFor()
    expect((await store.getProcessView('held-a')).state).toBe('released')
    expect((await store.getProcessView('held-b')).state).toBe('released')

    await page.goto(`/runs/${facts.activeRunId}`)
    await page.getByRole('button', { name: 'Fail run' }).click()
    await page.getByLabel('Reason (recorded as a Process Error)').fill('stuck since the network outage')
    await page.getByRole('dialog').getByRole('button', { name: 'Fail run' }).click()
    await page.getByText('Errors (1)').waitFor()
    expect(await page.locator('ol.errors').textContent()).toContain('stuck since the network outage')
    expect((await store.getRun(facts.activeRunId)).status).toBe('failed')
    expect(await page.getByRole('button', { name: 'Fail run' }).count()).toBe(0)
    await audit(page, 'run after fail')

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByLabel('Token').waitFor()
    expect(await context.cookies()).toEqual([])
    expect(errors).toEqual([])
    await context.close()
  })

  it('says "reconnecting…" while the event stream is down (the server stopped)', async () => {
    const { context, page } = await open()
    await signIn(page, readToken)
    await expect.poll(() => page.locator('.live').textContent()).toContain('live')
    await serve.stop()
    await expect.poll(() => page.locator('.live').textContent(), { timeout: 10_000 }).toContain('reconnecting…')
    await context.close()
  })
})
