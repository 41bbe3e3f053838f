import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DependencyBlockedError, ProcessTracker, type DataStore } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import type { CliResult } from './cli.ts'
import { inProcessCli } from './in-process.ts'

interface Plan {
  plan: { action: string; kind: string; name: string }[]
}

const PIPELINE = `
processes:
  - name: Teams Extract
    type: Extract
    tool: Spark
    scheduleFrequency: daily
    sources: [Lahman]
    targets: [Warehouse]
    contacts: [Data Ops]
    cluster: Nightly
  - name: Teams Load
    type: Load
  - name: Teams Report
    type: Report
dependencies:
  - { parent: Teams Extract, child: Teams Load }
  - { parent: Teams Load, child: Teams Report, type: Soft }
`

for (const dialect of DIALECTS) {
  describe(`${dialect}: processtracker apply`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    let pt: (...args: string[]) => Promise<CliResult>
    let folder: string
    const file = (name: string, text: string) => {
      const path = join(folder, name)
      writeFileSync(path, text)
      return path
    }
    const plan = async (...args: string[]) => {
      const result = await pt('--json', 'apply', ...args)
      expect(result.stderr).not.toMatch(/^Error/m)
      expect(result.code).toBe(0)
      return (JSON.parse(result.stdout) as Plan).plan.map((item) => `${item.action} ${item.kind} ${item.name}`)
    }

    beforeAll(async () => {
      store = isolated.store
      pt = inProcessCli(isolated.database)
      folder = mkdtempSync(join(tmpdir(), 'pt-apply-'))
      await store.lookups.create('contact', 'Data Ops', { email: 'ops@example.com' })
      await store.lookups.create('cluster', 'Nightly')
    })
    afterAll(() => {
      rmSync(folder, { recursive: true, force: true })
    })

    it('--dry-run prints the plan and writes nothing; apply creates; a second apply is all unchanged', async () => {
      const yaml = file('pipeline.yaml', PIPELINE)
      const expected = [
        'create process Teams Extract',
        'create process Teams Load',
        'create process Teams Report',
        'create dependency Teams Extract -> Teams Load',
        'create dependency Teams Load -> Teams Report',
      ]
      expect(await plan('-f', yaml, '--dry-run')).toEqual(expected)
      expect(await store.getProcess('Teams Extract')).toBeNull()
      const text = await pt('apply', '-f', yaml)
      expect(text.code).toBe(0)
      expect(text.stdout.split('\n')[0]).toMatch(/^create\s+process\s+Teams Extract$/)
      const extract = await store.getProcessView('Teams Extract')
      expect(extract).toMatchObject({
        processType: 'Extract',
        toolName: 'Spark',
        scheduleFrequency: 'daily',
        sources: ['Lahman'],
        targets: ['Warehouse'],
        state: 'never-run',
      })
      expect((await store.getProcessView('Teams Report')).parents).toEqual([{ processName: 'Teams Load', type: 'Soft' }])
      expect((await plan('-f', yaml)).every((line) => line.startsWith('unchanged '))).toBe(true)
      // JSON has the same keys.
      const json = file(
        'pipeline.json',
        JSON.stringify({
          processes: [{ name: 'Teams Load', type: 'Load' }],
          dependencies: [{ parent: 'Teams Extract', child: 'Teams Load' }],
        }),
      )
      expect(await plan('-f', json)).toEqual(['unchanged process Teams Load', 'unchanged dependency Teams Extract -> Teams Load'])
    })

    it("a child's very first run is gated by a parent defined by apply", async () => {
      const parent = await ProcessTracker.start(store, { processName: 'Teams Extract' })
      await parent.fail()
      await expect(ProcessTracker.start(store, { processName: 'Teams Load' })).rejects.toBeInstanceOf(DependencyBlockedError)
      const later = await ProcessTracker.start(store, { processName: 'Teams Extract' })
      await later.complete()
    })

    it('updates what differs: a tool, a new source, Soft to Hard; --prune deletes dependencies the file no longer names', async () => {
      const changed = file(
        'changed.yaml',
        PIPELINE.replace('tool: Spark', 'tool: Airflow')
          .replace('sources: [Lahman]', 'sources: [Lahman, Retrosheet]')
          .replace('type: Soft', 'type: Hard'),
      )
      expect(await plan('-f', changed)).toEqual([
        'update process Teams Extract',
        'unchanged process Teams Load',
        'unchanged process Teams Report',
        'unchanged dependency Teams Extract -> Teams Load',
        'update dependency Teams Load -> Teams Report',
      ])
      const view = await store.getProcessView('Teams Extract')
      expect(view.toolName).toBe('Airflow')
      expect([...view.sources].sort()).toEqual(['Lahman', 'Retrosheet'])
      expect((await store.getProcessView('Teams Report')).parents).toEqual([{ processName: 'Teams Load', type: 'Hard' }])

      const without = file('without.yaml', PIPELINE.replace(/ {2}- \{ parent: Teams Load.*\n/, ''))
      const pruned = await plan('-f', without, '--prune', '--dry-run')
      expect(pruned).toContain('delete dependency Teams Load -> Teams Report')
      await plan('-f', without, '--prune')
      expect((await store.getProcessView('Teams Report')).parents).toEqual([])
    })

    it('one transaction: a file failing midway (an unknown contact, a cycle) writes nothing', async () => {
      const bad = file(
        'bad.yaml',
        `processes:\n  - { name: New One, type: Load }\n  - { name: New Two, type: Load, contacts: [Nobody Here] }\ndependencies:\n  - { parent: New One, child: New Two }\n`,
      )
      const result = await pt('apply', '-f', bad)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('Nobody Here')
      expect(await store.getProcess('New One')).toBeNull()
      const cycle = file(
        'cycle.yaml',
        `processes:\n  - { name: Cycle A, type: Load }\ndependencies:\n  - { parent: Teams Report, child: Cycle A }\n  - { parent: Cycle A, child: Teams Extract }\n  - { parent: Teams Extract, child: Teams Report }\n`,
      )
      const refused = await pt('apply', '-f', cycle)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain('cycle')
      expect(await store.getProcess('Cycle A')).toBeNull()
    })

    it('a bad file is refused before the store is touched, naming the place; a missing file too', async () => {
      const typo = await pt('apply', '-f', file('typo.yaml', 'processes:\n  - name: X\n    colour: red\n'))
      expect(typo.code).toBe(1)
      expect(typo.stderr).toContain('processes[0]')
      const noType = await pt('apply', '-f', file('notype.yaml', 'processes:\n  - name: Brand New\n'))
      expect(noType.code).toBe(1)
      expect(noType.stderr).toContain('does not exist yet')
      const badDep = await pt('--json', 'apply', '-f', file('baddep.yaml', 'dependencies:\n  - { parent: A, child: B, type: Medium }\n'))
      expect(badDep.code).toBe(1)
      expect(JSON.parse(badDep.stdout)).toMatchObject({ error: { code: 'PT_INVALID_INPUT' } })
      expect((await pt('apply', '-f', join(folder, 'none.yaml'))).code).toBe(1)
      expect((await pt('apply')).code).toBe(2)
    })
  })
}
