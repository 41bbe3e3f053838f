/**
 * `npm run bench:lineage [-- --scale small] [--dialects sqlite,postgresql,mysql]`
 *
 * lineage.md: "with the receiver down, the lifecycle rate with lineage on stays within 10% of lineage
 * off". Runs the benchmark's one-client lifecycle (bench/lifecycle.ts, the six calls of
 * benchmark.md) three times on one fresh database: lineage off, lineage on with an in-process
 * dispatcher (`lineage.dispatch: true`) whose receiver is down (a closed port on 127.0.0.1), and
 * off again; the off figure is the mean of the two off runs, so a drift of the machine shows.
 */
import { createServer } from 'node:net'
import { parseArgs } from 'node:util'
import { SCALES, type Scale } from './config.ts'
import { ALL_DIALECTS, createBenchDatabase, newTag, serverUrl, type BenchDialect } from './databases.ts'
import { measureOneClient } from './lifecycle.ts'
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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scale: { type: 'string', default: 'small' }, dialects: { type: 'string' } } })
  const scale = SCALES[values.scale as Scale]
  const dialects = (values.dialects?.split(',') ?? [...ALL_DIALECTS]) as BenchDialect[]
  const url = `http://127.0.0.1:${await closedPort()}`
  const lines = ['| database | lineage off (lifecycles/s) | lineage on, receiver down | change | statements per lifecycle off / on |', '| --- | --- | --- | --- | --- |']
  for (const dialect of dialects) {
    if (dialect !== 'sqlite' && serverUrl(dialect) === undefined) continue
    const tag = newTag()
    const database = await createBenchDatabase(dialect, tag)
    try {
      const on = { ...database.target, lineage: { url, dispatch: true } } as OpenTarget
      const off1 = await measureOneClient(database.target, `${tag}a`, scale)
      const withLineage = await measureOneClient(on, `${tag}b`, scale)
      const off2 = await measureOneClient(database.target, `${tag}c`, scale)
      const off = (off1.lifecyclesPerSecond + off2.lifecyclesPerSecond) / 2
      const change = (withLineage.lifecyclesPerSecond / off - 1) * 100
      lines.push(
        `| ${dialect} | ${off.toFixed(0)} (${off1.lifecyclesPerSecond.toFixed(0)}, ${off2.lifecyclesPerSecond.toFixed(0)}) | ${withLineage.lifecyclesPerSecond.toFixed(0)} | ${change >= 0 ? '+' : ''}${change.toFixed(1)}% | ${off1.statementsPerLifecycle.toFixed(1)} / ${withLineage.statementsPerLifecycle.toFixed(1)} |`,
      )
      process.stderr.write(`[bench:lineage] ${lines.at(-1) ?? ''}\n`)
    } finally {
      await database.drop()
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}

await main()
