/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON, read freely */
/**
 * The CLI through a server (`--server`/`--token` or their env variables): a cron machine with no
 * database credentials runs a job with `run`, the job reports with `report`, and an operator reads
 * and administers with `runs`, `why`, `fail`, `reap` and `update -t "process run"`. The first `run`
 * (start, the child's `report`, end) goes through the built command as a smoke test of the binary;
 * the rest runs the program in-process through its entry (test/cli/in-process.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, cli, nodeCommand, requireBuild, BIN } from '../cli/cli.ts'
import { runInProcess } from '../cli/in-process.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { startApi, type TestApi } from './support.ts'

describe.each(DIALECTS)('%s: the CLI through --server', (dialect) => {
  const isolated = useIsolatedStore(dialect)
  let api: TestApi
  let env: NodeJS.ProcessEnv
  /** The program in-process, with the server's environment unless another is given. */
  const pt = (args: string[], other: NodeJS.ProcessEnv = env) => runInProcess(args, { env: other })
  beforeAll(async () => {
    requireBuild()
    api = await startApi(isolated.store)
    // No database URL, config or home config anywhere: only the server and a token.
    env = cleanEnv('/nonexistent', { PROCESS_TRACKER_SERVER_URL: api.base, PROCESS_TRACKER_TOKEN: api.tokens.admin })
  })
  afterAll(async () => {
    await api.close()
  })

  it('run starts, the command reports, the run completes; its child sees the server, not a database', async () => {
    const script =
      `const { execFileSync } = require('node:child_process');` +
      `if (process.env.PROCESS_TRACKER_DATABASE_URL) process.exit(9);` +
      `execFileSync(process.execPath, [${JSON.stringify(BIN)}, 'report', '--records', '77', '--low', '2026-01-01'], { stdio: 'inherit' })`
    const ran = await cli(['run', '-p', 'Remote Job', '--type', 'Load', '--', ...nodeCommand(script)], env)
    expect(ran.code, ran.stderr).toBe(0)
    const [run] = await isolated.store.listRuns({ processName: 'Remote Job' })
    expect(run).toMatchObject({ status: 'completed', recordCount: 77, lowDateTime: new Date('2026-01-01T00:00:00Z') })

    const failing = await pt(['run', '-p', 'Remote Job', '--', ...nodeCommand('process.exit(4)')])
    expect(failing.code).toBe(4)
    const [failed] = await isolated.store.listRuns({ processName: 'Remote Job' })
    expect(failed?.status).toBe('failed')
    expect(failed?.lastError?.errorType).toBe('Process Error')
  })

  it('runs, why, fail, reap and update -t "process run" answer as with a database', async () => {
    const runs = await pt(['--json', 'runs', '--process', 'Remote Job'])
    expect(runs.code, runs.stderr).toBe(0)
    expect((JSON.parse(runs.stdout) as { processName: string }[]).every((row) => row.processName === 'Remote Job')).toBe(true)
    const why = await pt(['why', 'Remote Job'])
    expect(why.code).toBe(0)
    expect(why.stdout).toMatch(/allowed/)
    expect((await pt(['runs', '--process', 'Nope'])).code).toBe(1)

    const blocker = await pt(['run', '-p', 'Stuck', '--type', 'Load', '--heartbeat', '0', '--', ...nodeCommand('setTimeout(() => {}, 1)')])
    expect(blocker.code).toBe(0)
    // Leave an active run behind (a start through the API), then fail it by hand from the CLI.
    const started = await api.call('POST', '/api/v1/runs', { body: { processName: 'Stuck' } })
    expect((await pt(['why', 'Stuck'])).code).toBe(3)
    const failed = await pt(['fail', '--process', 'Stuck', '--reason', 'rebooted'])
    expect(failed.code, failed.stderr).toBe(0)
    expect((await isolated.store.getRun(started.body.run.processTrackingId as number)).status).toBe('failed')
    expect((await pt(['reap'])).code).toBe(0)

    for (let i = 0; i < 5; i++) {
      const flaky = await pt(['run', '-p', 'Flaky Remote', '--type', 'Load', '--', ...nodeCommand('process.exit(1)')])
      expect(flaky.code, flaky.stderr).toBe(1)
    }
    const held = await pt(['run', '-p', 'Flaky Remote', '--', ...nodeCommand('')])
    expect(held.code, held.stderr).toBe(3)
    const released = await pt(['update', '-t', 'process run', '-n', 'Flaky Remote'])
    expect(released.code, released.stderr).toBe(0)
    expect((await pt(['run', '-p', 'Flaky Remote', '--', ...nodeCommand('')])).code).toBe(0)
  })

  it('refuses a bad token and commands that need the database, with a message', async () => {
    const bad = await pt(['--token', 'pt_nope', 'runs'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/unknown or revoked/)
    const setup = await pt(['reap'], { ...env, PROCESS_TRACKER_TOKEN: api.tokens.read })
    expect(setup.stderr).toMatch(/admin scope/)
  })
})
