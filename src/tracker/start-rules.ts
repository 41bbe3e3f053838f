import {
  DependencyBlockedError,
  ProcessOnHoldError,
  ProcessRunningError,
  type ProcessTrackerError,
  type StartRefusalDetails,
} from '../errors.ts'
import type { LatestRun } from './latest-runs.ts'

export type StartRule = StartRefusalDetails['rule']

/** What the rules say about a start, before anything is written. */
export type Decision = { allowed: true } | { allowed: false; rule: StartRule; blocking: LatestRun; error: ProcessTrackerError }

/**
 * The start rules of api.md, in their order, over the latest runs of the process and its parents.
 * `streak` is asked for only when the process's latest run failed. Stale runs must have been reaped
 * (start) or be counted as failed (explain) by the caller.
 */
export async function decide(
  processName: string,
  latest: LatestRun[],
  maxConcurrentFailures: number,
  streak: () => Promise<number>,
): Promise<Decision> {
  const category = (run: LatestRun) => (run.stale ? 'failed' : run.category)
  const details = (rule: StartRule, run: LatestRun): StartRefusalDetails => ({
    processName,
    rule,
    blockingRunId: run.processTrackingId,
    blockingProcessName: run.processName,
    status: run.stale ? 'failed' : run.status,
  })

  const parent = latest.find((run) => run.isParent && category(run) !== 'succeeded')
  if (parent) {
    const info = details('dependency', parent)
    return {
      allowed: false,
      rule: 'dependency',
      blocking: parent,
      error: new DependencyBlockedError(
        `Processes that this process is dependent on are running or failed. ${parent.processName} is ${info.status ?? ''}.`,
        info,
      ),
    }
  }
  const own = latest.find((run) => !run.isParent)
  if (!own) return { allowed: true }
  if (category(own) === 'active') {
    return {
      allowed: false,
      rule: 'running',
      blocking: own,
      error: new ProcessRunningError(`The process ${processName} is currently ${own.status}.`, details('running', own)),
    }
  }
  if (category(own) === 'held') {
    return {
      allowed: false,
      rule: 'on-hold',
      blocking: own,
      error: new ProcessOnHoldError(`The process ${processName} is currently on hold.`, details('on-hold', own)),
    }
  }
  if (category(own) === 'failed' && maxConcurrentFailures > 0) {
    const failures = await streak()
    if (failures >= maxConcurrentFailures) {
      return {
        allowed: false,
        rule: 'failure-threshold',
        blocking: own,
        error: new ProcessOnHoldError(
          `The process ${processName} is currently on hold. It failed ${failures} times in a row (max_concurrent_failures is ${maxConcurrentFailures}).`,
          details('failure-threshold', own),
        ),
      }
    }
  }
  return { allowed: true }
}
