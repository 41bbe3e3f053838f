import type { ScaleParameters } from './config.ts'
import { releaseTogether, startWorkers, stopWorkers, type OpenTarget, type WorkerMessage } from './worker-pool.ts'

/** The six calls of a lifecycle (bench/workers/common.mjs runs them). */
export const STEPS = ['start', 'register', 'ready', 'count', 'dates', 'complete'] as const
export type Step = (typeof STEPS)[number]

export interface StepFigures {
  statements: number
  commits: number
  ms: number
}

interface LifecycleReply extends WorkerMessage {
  count: number
  /** Warm-up lifecycles actually run (at least the configured warm-up, until the rate is steady). */
  warmedUp: number
  wallMs: number
  cpuMs: number
  statements: number
  commits: number
  steps: Record<Step, StepFigures>
}

export interface OneClientResult {
  warmup: number
  /** Warm-up lifecycles run until the rate was steady (see lifecycle-worker.mjs). */
  warmedUp: number
  count: number
  lifecyclesPerSecond: number
  statementsPerLifecycle: number
  commitsPerLifecycle: number
  /** CPU time of the client process per lifecycle, in ms. */
  clientCpuMsPerLifecycle: number
  /** Per call, averaged over the measured lifecycles. */
  perCall: Record<Step, StepFigures>
  workerPeakRssBytes: number
}

export interface ClientsResult {
  workers: number
  warmupPerWorker: number
  /** Warm-up lifecycles each worker ran until its rate was steady. */
  warmedUpPerWorker: number[]
  countPerWorker: number
  /** Total lifecycles ÷ the slowest worker's wall time. */
  lifecyclesPerSecond: number
  slowestWallSeconds: number
  fastestWallSeconds: number
  statementsPerLifecycle: number
  commitsPerLifecycle: number
  /** CPU time of the client processes per lifecycle, in ms (summed over the clients). */
  clientCpuMsPerLifecycle: number
  workerPeakRssBytes: number[]
}

/**
 * Runs `workers` lifecycle clients, each an OS process with its own store and its own tag (so its
 * own ten processes), warmed up, then released together by the barrier; each times its own loop.
 */
async function runClients(target: OpenTarget, tag: string, workers: number, warmup: number, count: number) {
  const pool = await startWorkers('lifecycle-worker.mjs', workers, (k) => ({
    type: 'init',
    open: target,
    tag: workers === 1 ? tag : `${tag}-c${k}`,
    warmup,
    count,
  }))
  try {
    releaseTogether(pool, { type: 'go' })
    const replies = await Promise.all(pool.map((worker) => worker.next<LifecycleReply>('result')))
    const rss = await stopWorkers(pool)
    return { replies, rss }
  } catch (error) {
    for (const worker of pool) worker.kill()
    throw error
  }
}

/** ≥ 500 sequential lifecycles after a warm-up of 50, one client (one process, one store). */
export async function measureOneClient(target: OpenTarget, tag: string, scale: ScaleParameters): Promise<OneClientResult> {
  const { warmup, count } = scale.oneClient
  const { replies, rss } = await runClients(target, `${tag}-one`, 1, warmup, count)
  const reply = replies[0]
  if (!reply) throw new Error('no reply from the lifecycle worker')
  const perCall = Object.fromEntries(
    STEPS.map((step) => {
      const total = reply.steps[step]
      return [step, { statements: total.statements / count, commits: total.commits / count, ms: total.ms / count }]
    }),
  ) as Record<Step, StepFigures>
  return {
    warmup,
    warmedUp: reply.warmedUp,
    count,
    lifecyclesPerSecond: count / (reply.wallMs / 1000),
    statementsPerLifecycle: reply.statements / count,
    commitsPerLifecycle: reply.commits / count,
    clientCpuMsPerLifecycle: reply.cpuMs / count,
    perCall,
    workerPeakRssBytes: rss[0] ?? Number.NaN,
  }
}

/** N clients released together, each on its own processes: total ÷ slowest wall time. */
export async function measureClients(target: OpenTarget, tag: string, scale: ScaleParameters): Promise<ClientsResult> {
  const { workers, warmup, countPerWorker } = scale.clients
  const { replies, rss } = await runClients(target, `${tag}-multi`, workers, warmup, countPerWorker)
  const walls = replies.map((reply) => reply.wallMs / 1000)
  const total = replies.reduce((sum, reply) => sum + reply.count, 0)
  const slowest = Math.max(...walls)
  return {
    workers,
    warmupPerWorker: warmup,
    warmedUpPerWorker: replies.map((reply) => reply.warmedUp),
    countPerWorker,
    lifecyclesPerSecond: total / slowest,
    slowestWallSeconds: slowest,
    fastestWallSeconds: Math.min(...walls),
    statementsPerLifecycle: replies.reduce((sum, reply) => sum + reply.statements, 0) / total,
    commitsPerLifecycle: replies.reduce((sum, reply) => sum + reply.commits, 0) / total,
    clientCpuMsPerLifecycle: replies.reduce((sum, reply) => sum + reply.cpuMs, 0) / total,
    workerPeakRssBytes: rss,
  }
}
