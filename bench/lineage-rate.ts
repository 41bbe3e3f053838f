/**
 * lineage.md: "with the receiver down, the lifecycle rate of `npm run bench` with lineage on stays
 * within 10% of lineage off". Runs the benchmark's one-client lifecycle (bench/lifecycle.ts, the six
 * calls of benchmark.md) alternating: lineage off, lineage on with an in-process dispatcher
 * (`lineage.dispatch: true`) whose receiver is down (a closed port on 127.0.0.1), off, on, … off
 * (`rounds` on runs between `rounds + 1` off runs), so each configuration meets the machine and the
 * database's growth alike. Each figure is the mean of its runs; every run is kept, so a drift of the
 * machine shows. Used by `npm run bench` (section `lineage`) and `npm run bench:lineage`.
 */
import { createServer } from 'node:net'
import type { ScaleParameters } from './config.ts'
import { measureOneClient, type OneClientResult } from './lifecycle.ts'
import { mean } from './stats.ts'
import type { OpenTarget } from './worker-pool.ts'

export interface LineageResult {
  /** Lifecycles/s of each run, in the order run. */
  offRates: number[]
  onRates: number[]
  /** on ÷ off − 1 of the means (−0.05: lineage on is 5% slower). */
  change: number
  clientCpuMs: { off: number; on: number }
  statementsPerLifecycle: { off: number; on: number }
}

/** The goal: lineage on with its receiver down within 10% of lineage off. */
export const LINEAGE_GOAL = -0.1

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

export async function measureLineage(target: OpenTarget, tag: string, scale: ScaleParameters, rounds: number): Promise<LineageResult> {
  const on = { ...target, lineage: { url: `http://127.0.0.1:${await closedPort()}`, dispatch: true } } as OpenTarget
  const offRuns: OneClientResult[] = []
  const onRuns: OneClientResult[] = []
  for (let round = 0; round < rounds; round++) {
    offRuns.push(await measureOneClient(target, `${tag}o${round}`, scale))
    onRuns.push(await measureOneClient(on, `${tag}l${round}`, scale))
  }
  offRuns.push(await measureOneClient(target, `${tag}o${rounds}`, scale))
  const average = (runs: OneClientResult[], pick: (run: OneClientResult) => number) => mean(runs.map(pick))
  const rate = (run: OneClientResult) => run.lifecyclesPerSecond
  return {
    offRates: offRuns.map(rate),
    onRates: onRuns.map(rate),
    change: average(onRuns, rate) / average(offRuns, rate) - 1,
    clientCpuMs: {
      off: average(offRuns, (run) => run.clientCpuMsPerLifecycle),
      on: average(onRuns, (run) => run.clientCpuMsPerLifecycle),
    },
    statementsPerLifecycle: {
      off: average(offRuns, (run) => run.statementsPerLifecycle),
      on: average(onRuns, (run) => run.statementsPerLifecycle),
    },
  }
}
