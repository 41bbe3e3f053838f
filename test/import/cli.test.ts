/**
 * `processtracker import-python` as a user runs it: --dry-run with --json, the text report, exit
 * codes, a refused second run, and an unreachable source whose password never reaches the terminal.
 * The dry run goes through the built command in a subprocess (a smoke test of the binary; run
 * `npm run build` first); the rest runs the program in-process through its entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImportReport } from '../../src/index.ts'
import { cleanEnv, cli, requireBuild, stackLines, storeArgs, tempHome } from '../cli/cli.ts'
import { runInProcess } from '../cli/in-process.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { MANIFEST, SOURCE_DIALECTS, createSourceDatabase, type RestoredSource } from './python-fixture.ts'

const sourceDialect = SOURCE_DIALECTS[0]

describe.runIf(sourceDialect !== undefined)('processtracker import-python', () => {
  let source: RestoredSource | undefined
  const home = tempHome()
  beforeAll(async () => {
    requireBuild()
    if (sourceDialect) source = await createSourceDatabase(sourceDialect, true)
  })
  afterAll(async () => {
    await source?.drop()
    home.dispose()
  })
  const from = () => {
    if (!source) throw new Error('restored in beforeAll')
    return source.url
  }

  for (const targetDialect of DIALECTS) {
    describe(`into ${targetDialect}`, () => {
      let target: IsolatedDatabase | undefined
      beforeAll(async () => {
        target = await createIsolatedDatabase(targetDialect)
      })
      afterAll(async () => {
        await target?.drop()
      })
      const args = (...rest: string[]) => {
        if (!target) throw new Error('created in beforeAll')
        return [...storeArgs(target), ...rest]
      }
      /** The program in-process, with the same clean environment as the subprocess. */
      const pt = (argv: string[]) => runInProcess(argv, { env: cleanEnv(home.path) })

      it('--dry-run --json reports on stdout, writes nothing, exits 0', async () => {
        const result = await cli(
          args('--json', 'import-python', '--from', from(), '--dry-run', '--status-category', 'skipped=succeeded'),
          cleanEnv(home.path),
        )
        expect(result.stderr).toBe('')
        expect(result.code).toBe(0)
        const report = JSON.parse(result.stdout) as ImportReport
        expect(report.dryRun).toBe(true)
        expect(report.tables.find((row) => row.table === 'process_tracking')?.rowsRead).toBe(
          MANIFEST[sourceDialect ?? 'postgresql'].runs_total,
        )
        expect(report.mends.find((mend) => mend.kind === 'second-active-run')?.ids).toEqual([227])
        const runs = await pt(args('--json', 'runs'))
        expect(JSON.parse(runs.stdout)).toEqual([])
      })

      it('imports with a text report, then refuses a second import with exit 1', async () => {
        const result = await pt(args('import-python', '--from', from()))
        expect(result.code).toBe(0)
        expect(result.stdout).toMatch(/^Imported /)
        expect(result.stdout).toMatch(/process_tracking\s+228\s+228/)
        expect(result.stdout).toContain('[duplicate-run-id] process_tracking.process_run_id')
        expect(result.stdout).toContain('- skipped: succeeded')
        const why = await pt(args('why', 'publish_sales_report'))
        expect(why.stdout + why.stderr).toMatch(/on hold/)
        const again = await pt(args('import-python', '--from', from()))
        expect(again.code).toBe(1)
        expect(again.stderr).toMatch(/^Error: The target already holds runs/)
        expect(stackLines(again.stderr)).toEqual([])
      })

      it('an unreachable source: exit 1, a clear message, no password, no stack', async () => {
        const result = await pt(args('import-python', '--from', 'postgres://pt:Sup3r-s3cret@127.0.0.1:1/process_tracker'))
        expect(result.code).toBe(1)
        expect(result.stderr).toMatch(
          /^Error: The Python ProcessTracker database \(the import's source\): (?:Cannot reach|Lost or could not open the connection to) the database at postgresql:\/\/pt@127\.0\.0\.1:1/,
        )
        expect(result.stderr).not.toContain('Sup3r-s3cret')
        expect(stackLines(result.stderr)).toEqual([])
      })

      it('a bad --status-category is a usage error', async () => {
        const result = await pt(args('import-python', '--from', from(), '--status-category', 'skipped'))
        expect(result.code).toBe(2)
        expect(result.stderr).toMatch(/NAME=CATEGORY/)
      })
    })
  }
})
