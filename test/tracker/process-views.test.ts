import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  NotFoundError,
  PROCESS_STATES,
  ProcessOnHoldError,
  ProcessTracker,
  ValidationError,
  type DataStore,
  type ProcessState,
  type ProcessView,
} from '../../src/index.ts'
import { uniqueName } from '../extract/helpers.ts'
import { DIALECTS, createIsolatedDatabase, useIsolatedStore, type IsolatedDatabase } from '../support/dialects.ts'

const names = (views: readonly { processName: string }[]) => views.map((view) => view.processName)

/** The failure streak by its definition (api.md rule 4), from the process's runs. */
async function streakOf(store: DataStore, processName: string): Promise<number> {
  const runs = (await store.listRuns({ processName, limit: 1000 })).sort((x, y) => y.processRunId - x.processRunId)
  const firstOther = runs.findIndex((run) => run.status !== 'failed')
  return firstOther === -1 ? runs.length : firstOther
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: the process read model (listProcesses, getProcessView, getDependencyGraph)`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    /** A store that holds after two failures in a row. */
    let strict: DataStore
    const prefix = `States ${Math.random().toString(36).slice(2, 8)}`
    const byState: Record<ProcessState, string> = {
      running: `${prefix} A running`,
      'on-hold': `${prefix} B on hold`,
      failed: `${prefix} C failed`,
      released: `${prefix} D released`,
      completed: `${prefix} E completed`,
      'never-run': `${prefix} F never run`,
    }

    beforeAll(async () => {
      store = isolated.store
      strict = await isolated.database.open({ maxConcurrentFailures: 2 })
      // Custom statuses: the state comes from the category, not from the name.
      await store.lookups.create('process status', 'validating', { category: 'active' })
      await store.lookups.create('process status', 'signed off', { category: 'succeeded' })
      await store.lookups.create('process status', 'rejected', { category: 'failed' })
      await store.lookups.create('process status', 'parked', { category: 'held' })
      const custom: [ProcessState, string][] = [
        ['running', 'validating'],
        ['completed', 'signed off'],
        ['failed', 'rejected'],
        ['on-hold', 'parked'],
        ['released', 'parked'],
      ]
      for (const [state, status] of custom) {
        const run = await ProcessTracker.start(store, { processName: byState[state], processType: 'Extract' })
        await run.changeRunStatus(status)
      }
      await store.releaseHold(byState.released)
      await store.defineProcess({ processName: byState['never-run'], processType: 'Extract' })
    })

    afterAll(async () => {
      await strict.close()
    })

    it('maps the latest run’s status category to the state, and filters on it', async () => {
      const views = await store.listProcesses({ q: prefix })
      expect(names(views)).toEqual(Object.values(byState))
      for (const view of views) {
        const state = (Object.keys(byState) as ProcessState[]).find((key) => byState[key] === view.processName)
        expect(view.state).toBe(state)
        expect(view.onHold).toBe(state === 'on-hold')
        expect(view.latestRun === null).toBe(state === 'never-run')
      }
      expect(views.find((view) => view.state === 'released')?.latestRun?.status).toBe('released')
      expect(views.find((view) => view.state === 'on-hold')?.latestRun?.status).toBe('parked')
      for (const state of PROCESS_STATES) {
        expect(names(await store.listProcesses({ q: prefix, state }))).toEqual([byState[state]])
      }
    })

    it('shows the latest run as a RunView, and the process fields of getProcess', async () => {
      const view = await store.getProcessView(byState.completed)
      const { state, latestRun, onHold, failureStreak, parents, children, sources, targets, ...info } = view
      expect(info).toEqual(await store.getProcess(byState.completed))
      const [newest] = await store.listRunViews({ processName: byState.completed, limit: 1 })
      expect(latestRun).toEqual(newest)
      expect(latestRun?.isLatestRun).toBe(true)
      expect({ state, onHold, failureStreak, parents, children, sources, targets }).toEqual({
        state: 'completed',
        onHold: false,
        failureStreak: 0,
        parents: [],
        children: [],
        sources: [],
        targets: [],
      })
      expect(await store.getProcessView(byState['never-run'])).toMatchObject({ state: 'never-run', latestRun: null, failureStreak: 0 })
    })

    it('counts the failure streak from the newest run, stopping at any other status (released included)', async () => {
      const name = uniqueName('Streaky')
      const outcomes: ('fail' | 'complete')[] = ['fail', 'complete', 'fail', 'fail', 'fail']
      const streaks: number[] = []
      for (const outcome of outcomes) {
        const run = await ProcessTracker.start(store, { processName: name, processType: 'Extract' })
        await (outcome === 'fail' ? run.fail() : run.complete())
        streaks.push((await store.getProcessView(name)).failureStreak)
      }
      expect(streaks).toEqual([1, 0, 1, 2, 3])
      expect((await store.getProcessView(name)).failureStreak).toBe(await streakOf(store, name))
      const running = await ProcessTracker.start(store, { processName: name })
      expect((await store.getProcessView(name)).failureStreak).toBe(0)
      await running.fail()
      expect((await store.getProcessView(name)).failureStreak).toBe(4)
      expect(await streakOf(store, name)).toBe(4)

      // Two failures put a process on hold (threshold 2); the release breaks the streak.
      const held = uniqueName('Held')
      for (let i = 0; i < 2; i++) {
        const run = await ProcessTracker.start(strict, { processName: held, processType: 'Extract' })
        await run.fail()
      }
      await expect(ProcessTracker.start(strict, { processName: held })).rejects.toBeInstanceOf(ProcessOnHoldError)
      const onHold = await strict.getProcessView(held)
      // A held process reports the streak that put it on hold (the failed runs before the held run).
      expect(onHold).toMatchObject({ state: 'on-hold', onHold: true, failureStreak: 2 })
      const heldRuns = (await strict.listRuns({ processName: held, limit: 1000 })).sort((x, y) => y.processRunId - x.processRunId)
      expect(heldRuns.map((run) => run.status)).toEqual(['on hold', 'failed', 'failed'])
      expect((await strict.listProcesses({ state: 'on-hold', q: held })).map((view) => view.failureStreak)).toEqual([2])
      expect(onHold.latestRun?.status).toBe('on hold')
      await strict.releaseHold(held)
      expect(await strict.getProcessView(held)).toMatchObject({ state: 'released', onHold: false, failureStreak: 0 })
      const retry = await ProcessTracker.start(strict, { processName: held })
      await retry.fail()
      expect(await strict.getProcessView(held)).toMatchObject({ state: 'failed', failureStreak: 1 })
      expect(await streakOf(strict, held)).toBe(1)
      // Held again: the count stops at the released run, so it is this hold's streak, not the sum.
      await (await ProcessTracker.start(strict, { processName: held })).fail()
      expect(await strict.getProcessView(held)).toMatchObject({ state: 'on-hold', failureStreak: 2 })
    })

    it('lists parents, children, sources and targets', async () => {
      const parent = uniqueName('Graph parent')
      const child = uniqueName('Graph child')
      const soft = uniqueName('Graph soft')
      await store.defineProcess({ processName: parent, processType: 'Extract', sources: ['Lahman', 'Retrosheet'], targets: 'Lake' })
      await store.defineProcess({ processName: child, processType: 'Load', sources: 'Lake', targets: ['Warehouse'] })
      await store.defineProcess({ processName: soft, processType: 'Load' })
      await store.addProcessDependency(parent, child)
      await store.addProcessDependency(parent, soft, { type: 'Soft' })
      const [p, c, s] = await Promise.all([parent, child, soft].map((name) => store.getProcessView(name)))
      expect(p?.children).toEqual(
        [
          { processName: child, type: 'Hard' },
          { processName: soft, type: 'Soft' },
        ].sort((x, y) => (x.processName < y.processName ? -1 : 1)),
      )
      expect(p?.parents).toEqual([])
      expect(p?.sources).toEqual(['Lahman', 'Retrosheet'])
      expect(p?.targets).toEqual(['Lake'])
      expect(c?.parents).toEqual([{ processName: parent, type: 'Hard' }])
      expect(c?.sources).toEqual(['Lake'])
      expect(c?.targets).toEqual(['Warehouse'])
      expect(s?.parents).toEqual([{ processName: parent, type: 'Soft' }])

      const graph = await store.getDependencyGraph()
      expect(graph.edges).toEqual(
        expect.arrayContaining([
          { parent, child, type: 'Hard' },
          { parent, child: soft, type: 'Soft' },
        ]),
      )
      const every = await store.listProcesses({ limit: 1000 })
      expect(graph.nodes.map((node) => node.processName)).toEqual(names(every))
      expect(graph.nodes.map((node) => [node.state, node.latestRun])).toEqual(every.map((view) => [view.state, view.latestRun]))
    })

    it('matches q literally and case-sensitively', async () => {
      const tag = Math.random().toString(36).slice(2, 8)
      const made = [`${tag} 100% Load`, `${tag} 1000 Load`, `${tag} a_b`, `${tag} axb`, `${tag} LOAD`]
      for (const name of made) await store.defineProcess({ processName: name, processType: 'Load' })
      expect(names(await store.listProcesses({ q: `${tag} 100%` }))).toEqual([`${tag} 100% Load`])
      expect(names(await store.listProcesses({ q: `${tag} a_b` }))).toEqual([`${tag} a_b`])
      expect(names(await store.listProcesses({ q: 'Load', limit: 1000 })).filter((name) => name.startsWith(tag))).toEqual([
        `${tag} 100% Load`,
        `${tag} 1000 Load`,
      ])
      expect(names(await store.listProcesses({ q: `${tag} LOAD` }))).toEqual([`${tag} LOAD`])
      expect(await store.listProcesses({ q: `${tag} nothing` })).toEqual([])
    })

    it('pages by name with afterName, without duplicates or gaps', async () => {
      const tag = `Page${Math.random().toString(36).slice(2, 8)}`
      const made = Array.from({ length: 12 }, (_, i) => `${tag}${String(i).padStart(2, '0')}`)
      for (const name of made) await store.defineProcess({ processName: name, processType: 'Load' })
      const pages: string[][] = []
      let after: string | undefined
      for (;;) {
        const page = await store.listProcesses({ q: tag, limit: 5, afterName: after })
        if (page.length > 0) pages.push(names(page))
        if (page.length < 5) break
        after = page.at(-1)?.processName
      }
      expect(pages.map((page) => page.length)).toEqual([5, 5, 2])
      expect(pages.flat()).toEqual(made)
      const all = names(await store.listProcesses({ limit: 1000 }))
      expect(new Set(all).size).toBe(all.length)
    })

    it('refuses unknown processes and malformed options', async () => {
      await expect(store.getProcessView('No Such Process')).rejects.toBeInstanceOf(NotFoundError)
      await expect(store.listProcesses({ state: 'bogus' as ProcessState })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.listProcesses({ state: 'completed ' as ProcessState })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.listProcesses({ limit: 0 })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.listProcesses({ limit: 1001 })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.listProcesses({ q: '' })).rejects.toBeInstanceOf(ValidationError)
    })
  })

  describe(`${dialect}: the read model reads a page in a fixed number of statements`, () => {
    let database: IsolatedDatabase
    let store: DataStore

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      store = await database.open()
    })
    afterAll(async () => {
      await store.close()
      await database.drop()
    })

    /** Statements one call sends. */
    async function statementsOf(call: () => Promise<unknown>): Promise<number> {
      const before = store.statementCounts.statements
      await call()
      return store.statementCounts.statements - before
    }

    /** A process with runs, an error, sources, targets and a dependency on `parent`. */
    async function makeProcess(name: string, parent?: string): Promise<void> {
      const first = await ProcessTracker.start(store, { processName: name, processType: 'Load', sources: ['S1', 'S2'], targets: 'T' })
      await first.raiseRunError('Data Error')
      await first.fail()
      const second = await ProcessTracker.start(store, { processName: name })
      await second.fail()
      if (parent) await store.addProcessDependency(parent, name)
    }

    it('costs the same for 1 process as for 50 (no query per process)', async () => {
      await makeProcess('One 000')
      for (let i = 1; i <= 50; i++) await makeProcess(`Many ${String(i).padStart(3, '0')}`, i > 1 ? 'Many 001' : undefined)
      // Warm the id caches so both calls are measured alike.
      await store.listProcesses({ q: 'One' })
      await store.listProcesses({ q: 'Many' })

      const one = await statementsOf(async () => {
        const views = await store.listProcesses({ q: 'One' })
        expect(views).toHaveLength(1)
        expect(views[0]).toMatchObject({ state: 'failed', failureStreak: 2, sources: ['S1', 'S2'], targets: ['T'] })
      })
      const fifty = await statementsOf(async () => {
        const views: ProcessView[] = await store.listProcesses({ q: 'Many' })
        expect(views).toHaveLength(50)
        expect(views.every((view) => view.failureStreak === 2 && view.latestRun?.errorCount === 0)).toBe(true)
        expect(views[0]?.children).toHaveLength(49)
        expect(views[1]?.parents).toEqual([{ processName: 'Many 001', type: 'Hard' }])
      })
      expect(fifty).toBe(one)

      const graphOfAll = await statementsOf(() => store.getDependencyGraph())
      await makeProcess('Zed')
      expect(await statementsOf(() => store.getDependencyGraph())).toBe(graphOfAll)
      const runs = await statementsOf(() => store.listRunViews({ limit: 1 }))
      expect(await statementsOf(() => store.listRunViews({ limit: 100 }))).toBe(runs)
    })

    it('counts processes, runs, active runs, holds and extracts in one statement', async () => {
      const before = await store.counts()
      const run = await ProcessTracker.start(store, { processName: 'Counted', processType: 'Load' })
      const strict = await database.open({ maxConcurrentFailures: 1 })
      try {
        const failing = await ProcessTracker.start(strict, { processName: 'Counted hold', processType: 'Load' })
        await failing.fail()
        await expect(ProcessTracker.start(strict, { processName: 'Counted hold' })).rejects.toBeInstanceOf(ProcessOnHoldError)
      } finally {
        await strict.close()
      }
      const runs = await store.countRuns({}, { cap: 1_000_000 })
      const statements = store.statementCounts.statements
      const after = await store.counts()
      expect(store.statementCounts.statements - statements).toBe(1)
      expect(after).toEqual({
        processes: before.processes + 2,
        runs: runs.total,
        activeRuns: before.activeRuns + 1,
        onHold: before.onHold + 1,
        extracts: before.extracts,
      })
      expect(after.activeRuns).toBe((await store.listRuns({ status: 'running', limit: 1000 })).length)
      await run.complete()
    })
  })
}
