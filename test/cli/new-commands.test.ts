import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, type DataStore } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore, type IsolatedDatabase } from '../support/dialects.ts'
import { cleanEnv, cli, requireBuild, stackLines, storeArgs, tempHome, type CliResult } from './cli.ts'

/** Each command new in 0.2, once through the built binary (the in-process suites cover the rest). */
for (const dialect of DIALECTS) {
  describe(`${dialect}: the 0.2 commands as subprocesses`, () => {
    const isolated = useIsolatedStore(dialect)
    let database: IsolatedDatabase
    let store: DataStore
    let home: ReturnType<typeof tempHome>
    let pt: (...args: string[]) => Promise<CliResult>

    beforeAll(() => {
      requireBuild()
      database = isolated.database
      store = isolated.store
      home = tempHome()
      pt = (...args) => cli([...storeArgs(database), ...args], cleanEnv(home.path))
    })
    afterAll(() => {
      home.dispose()
    })

    const ok = (result: CliResult) => {
      expect(result.stderr).not.toMatch(/^Error/m)
      expect(stackLines(result.stderr)).toEqual([])
      expect(result.code).toBe(0)
      return result
    }

    // A dozen starts of the binary, a second or more each on a loaded machine: give it room.
    it('apply, processes, graph, info, show, release and extracts work end to end', { timeout: 180_000 }, async () => {
      const file = join(home.path, 'pipeline.yaml')
      writeFileSync(
        file,
        'processes:\n  - { name: Sub Extract, type: Extract }\n  - { name: Sub Load, type: Load }\ndependencies:\n  - { parent: Sub Extract, child: Sub Load }\n',
      )
      expect(ok(await pt('apply', '-f', file)).stdout).toMatch(/^create\s+process\s+Sub Extract$/m)
      expect(ok(await pt('processes')).stdout).toMatch(/Sub Load\s+never-run/)
      expect(ok(await pt('graph')).stdout).toContain('Sub Extract [never-run]\n└─ Sub Load [never-run]')
      expect(ok(await pt('info')).stdout).toMatch(/Processes:\s+2/)

      const run = await ProcessTracker.start(store, { processName: 'Sub Extract' })
      const folder = join(home.path, 'landing')
      mkdirSync(folder)
      writeFileSync(join(folder, 'teams.csv'), 'x')
      const registered = ok(await pt('--json', 'extracts', 'register', folder, '--tracking-id', String(run.processTrackingId)))
      const [extract] = JSON.parse(registered.stdout) as { extractId: number }[]
      expect(ok(await pt('extracts', 'list', '--location', folder)).stdout).toContain('teams.csv')
      const load = await ProcessTracker.start(store, { processName: 'Sub Load' }).catch(() => null)
      expect(load).toBeNull() // the extract's run is still going: the dependency gate holds
      await run.complete()
      const loader = await ProcessTracker.start(store, { processName: 'Sub Load' })
      expect(ok(await pt('extracts', 'claim', '--location', folder, '--tracking-id', String(loader.processTrackingId))).stdout).toMatch(
        /^\d+\t.*teams\.csv$/m,
      )
      ok(
        await pt('extracts', 'status', '--status', 'loaded', String(extract?.extractId), '--tracking-id', String(loader.processTrackingId)),
      )
      await loader.complete()
      const shown = ok(await pt('show', String(run.processTrackingId)))
      expect(shown.stdout).toContain(`Run 1 of Sub Extract (tracking id ${run.processTrackingId})`)
      expect(shown.stdout).toContain('teams.csv')

      for (let attempt = 0; attempt < 5; attempt += 1) await (await ProcessTracker.start(store, { processName: 'Sub Load' })).fail()
      expect(ok(await pt('release', 'Sub Load')).stderr).toContain('is now released')
    })

    it('--json errors come out of the binary with the same exit code', async () => {
      const result = await pt('--json', 'runs', '--process', 'Sub Lod')
      expect(result.code).toBe(1)
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'PT_NOT_FOUND', details: { suggestions: ['Sub Load'] } } })
    })
  })
}
