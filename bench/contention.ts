import { ProcessTracker, type DataStore } from './api.ts'
import type { ScaleParameters } from './config.ts'
import { summarize, type LatencySummary } from './stats.ts'
import { releaseTogether, startWorkers, stopWorkers, type OpenTarget, type WorkerMessage, type WorkerProcess } from './worker-pool.ts'

interface Attempt extends WorkerMessage {
  won: boolean
  ms: number
  /** Statements the attempt sent (store.statementCounts delta). */
  statements: number
  code: string | null
}

export interface ContentionResult {
  workers: number
  rounds: number
  warmupRounds: number
  winner: LatencySummary & { statementsPerAttempt: number }
  losers: LatencySummary & { statementsPerAttempt: number }
  /** Rounds in which exactly one start succeeded (the guarantee: all of them). */
  roundsWithOneWinner: number
  /** Rounds in which more than one start succeeded (the Python defect); must be 0. */
  roundsWithSeveralWinners: number
  /** Error codes of the losing attempts and how often each came. */
  loserCodes: Record<string, number>
  workerPeakRssBytes: number[]
}

/**
 * Start latency under contention: `workers` OS processes, each with its own store, are released by
 * the barrier to start the SAME process. Exactly one should win; the others are refused
 * (PT_PROCESS_RUNNING). The winner completes its run only after all attempts of the round returned,
 * so every loser really meets a running run. Each attempt is timed inside its worker.
 */
export async function measureContention(
  store: DataStore,
  target: OpenTarget,
  tag: string,
  scale: ScaleParameters,
): Promise<ContentionResult> {
  const { workers, warmupRounds, rounds } = scale.contention
  const processName = `bench ${tag} contention`
  // Create the process first, so the rounds measure the start decision, not the first insert.
  const first = await ProcessTracker.start(store, {
    processName,
    processType: 'Extract',
    actorName: 'bench',
    toolName: 'Spark',
    sources: 'Bench Source',
    targets: 'Bench Target',
  })
  await first.complete()

  const pool = await startWorkers('contention-worker.mjs', workers, () => ({ type: 'init', open: target, processName }))
  try {
    const winners: number[] = []
    const losers: number[] = []
    let winnerStatements = 0
    let loserStatements = 0
    const loserCodes: Record<string, number> = {}
    let roundsWithOneWinner = 0
    let roundsWithSeveralWinners = 0
    for (let round = 0; round < warmupRounds + rounds; round++) {
      const attempts = await playRound(pool)
      if (round < warmupRounds) continue
      const won = attempts.filter((attempt) => attempt.won)
      if (won.length === 1) roundsWithOneWinner++
      if (won.length > 1) roundsWithSeveralWinners++
      for (const attempt of attempts) {
        if (attempt.won) {
          winners.push(attempt.ms)
          winnerStatements += attempt.statements
        } else {
          losers.push(attempt.ms)
          loserStatements += attempt.statements
          const code = attempt.code ?? 'unknown'
          loserCodes[code] = (loserCodes[code] ?? 0) + 1
        }
      }
    }
    const rss = await stopWorkers(pool)
    return {
      workers,
      rounds,
      warmupRounds,
      winner: { ...summarize(winners), statementsPerAttempt: winnerStatements / winners.length },
      losers: { ...summarize(losers), statementsPerAttempt: loserStatements / losers.length },
      roundsWithOneWinner,
      roundsWithSeveralWinners,
      loserCodes,
      workerPeakRssBytes: rss,
    }
  } catch (error) {
    for (const worker of pool) worker.kill()
    throw error
  }
}

/** One round: release every contender, wait for every attempt, then let the winner(s) complete. */
async function playRound(pool: readonly WorkerProcess[]): Promise<Attempt[]> {
  releaseTogether(pool, { type: 'start' })
  const attempts = await Promise.all(pool.map((worker) => worker.next<Attempt>('attempt')))
  await Promise.all(pool.filter((_, k) => attempts[k]?.won === true).map((worker) => worker.request({ type: 'complete' }, 'completed')))
  return attempts
}
