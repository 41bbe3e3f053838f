/**
 * `npm run bench:lineage [-- --scale small] [--dialects sqlite,postgresql,mysql] [--rounds 2]`
 *
 * lineage.md: "with the receiver down, the lifecycle rate with lineage on stays within 10% of lineage
 * off". Runs the benchmark's one-client lifecycle (bench/lifecycle.ts, the six calls of
 * benchmark.md) on one fresh database, alternating: lineage off, lineage on with an in-process
 * dispatcher (`lineage.dispatch: true`) whose receiver is down (a closed port on 127.0.0.1), off,
 * on, … off (`rounds` on runs between `rounds + 1` off runs). Each figure is the mean of its runs,
 * every run is shown, so a drift of the machine shows; the client CPU per lifecycle is the figure
 * least moved by other load on the machine.
 */
import { createServer } from 'node:net'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { SCALES, type Scale } from './config.ts'
import { ALL_DIALECTS, createBenchDatabase, newTag, serverUrl, type BenchDialect } from './databases.ts'
import { measureOneClient, type OneClientResult } from './lifecycle.ts'
import type { OpenTarget } from './worker-pool.ts'

/** A port on 127.0.0.1 that nothing listens on: taken, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve()
    })
  })
  return typeof address === 'object' && address ? address.port : 9
}

const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length
const load = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: 'small' }, dialects: { type: 'string' }, rounds: { type: 'string', default: '2' } },
  })
  const scale = SCALES[values.scale as Scale]
  const rounds = Math.max(1, Number(values.rounds))
  const dialects = (values.dialects?.split(',') ?? [...ALL_DIALECTS]) as BenchDialect[]
  const url = `http://127.0.0.1:${await closedPort()}`
  const lines = [
    `load average at the start: ${load()} (1, 5, 15 min) on ${os.cpus().length} CPUs`,
    '',
    '| database | lineage off (lifecycles/s, each run) | lineage on, receiver down (each run) | change | client CPU ms per lifecycle off / on | statements per lifecycle off / on |',
    '| --- | --- | --- | --- | --- | --- |',
  ]
  for (const dialect of dialects) {
    if (dialect !== 'sqlite' && serverUrl(dialect) === undefined) continue
    const tag = newTag()
    const database = await createBenchDatabase(dialect, tag)
    try {
      const on = { ...database.target, lineage: { url, dispatch: true } } as OpenTarget
      // off, on, off, on, … off: each configuration sees the machine (and the database's growth) alike.
      const offRuns: OneClientResult[] = []
      const onRuns: OneClientResult[] = []
      for (let round = 0; round < rounds; round++) {
        offRuns.push(await measureOneClient(database.target, `${tag}o${round}`, scale))
        onRuns.push(await measureOneClient(on, `${tag}l${round}`, scale))
      }
      offRuns.push(await measureOneClient(database.target, `${tag}o${rounds}`, scale))
      const rate = (runs: OneClientResult[]) => mean(runs.map((run) => run.lifecyclesPerSecond))
      const each = (runs: OneClientResult[]) => runs.map((run) => run.lifecyclesPerSecond.toFixed(0)).join(', ')
      const figure = (runs: OneClientResult[], pick: (run: OneClientResult) => number, digits: number) =>
        mean(runs.map(pick)).toFixed(digits)
      const change = (rate(onRuns) / rate(offRuns) - 1) * 100
      lines.push(
        `| ${dialect} | ${rate(offRuns).toFixed(0)} (${each(offRuns)}) | ${rate(onRuns).toFixed(0)} (${each(onRuns)}) | ${change >= 0 ? '+' : ''}${change.toFixed(1)}% | ${figure(offRuns, (run) => run.clientCpuMsPerLifecycle, 2)} / ${figure(onRuns, (run) => run.clientCpuMsPerLifecycle, 2)} | ${figure(offRuns, (run) => run.statementsPerLifecycle, 1)} / ${figure(onRuns, (run) => run.statementsPerLifecycle, 1)} |`,
      )
      process.stderr.write(`[bench:lineage] ${lines.at(-1) ?? ''}\n`)
    } finally {
      await database.drop()
    }
  }
  lines.push('', `load average at the end: ${load()}`)
  process.stdout.write(`${lines.join('\n')}\n`)
}

await main()
