/**
 * `npm run bench:lineage [-- --scale small] [--dialects sqlite,postgresql,mysql] [--rounds N]`
 *
 * The lineage section of `npm run bench` (bench/lineage-rate.ts) alone, each database on a fresh
 * database of its own, with as many alternating rounds as asked (default: the scale's) and every
 * run's rate shown: the way to re-measure the goal on a busy machine. The client CPU per lifecycle
 * is the figure least moved by other load on the machine.
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import { SCALES, type Scale } from './config.ts'
import { ALL_DIALECTS, createBenchDatabase, newTag, serverUrl, type BenchDialect } from './databases.ts'
import { measureLineage } from './lineage-rate.ts'
import { mean } from './stats.ts'

const load = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: 'small' }, dialects: { type: 'string' }, rounds: { type: 'string' } },
  })
  const scale = SCALES[values.scale as Scale]
  const rounds = Math.max(1, Number(values.rounds ?? scale.lineage.rounds))
  const dialects = (values.dialects?.split(',') ?? [...ALL_DIALECTS]) as BenchDialect[]
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
      const result = await measureLineage(database.target, tag, scale, rounds)
      const each = (rates: number[]) => rates.map((rate) => rate.toFixed(0)).join(', ')
      const change = result.change * 100
      const { clientCpuMs: cpu, statementsPerLifecycle: statements } = result
      lines.push(
        `| ${dialect} | ${mean(result.offRates).toFixed(0)} (${each(result.offRates)}) | ${mean(result.onRates).toFixed(0)} (${each(result.onRates)}) | ${change >= 0 ? '+' : ''}${change.toFixed(1)}% | ${cpu.off.toFixed(2)} / ${cpu.on.toFixed(2)} | ${statements.off.toFixed(1)} / ${statements.on.toFixed(1)} |`,
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
