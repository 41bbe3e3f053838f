import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { ProcessTracker, type DataStore } from './api.ts'
import type { ScaleParameters } from './config.ts'

export interface RegistrationResult {
  files: number
  /** registerExtractsByLocation of a folder none of whose files is registered yet. */
  newSeconds: number
  /** The same folder again: every file registered, none changed. */
  existingSeconds: number
  statementsNew: number
  statementsExisting: number
  /** Resident set growth of the benchmark process over both calls (both results held). */
  rssGrowthBytes: number
}

/**
 * `registerExtractsByLocation` of one local folder of `files` small files, twice: all new, then all
 * registered and unchanged (issue 10 item 8: PostgreSQL used to take 172 s and 333 s at 100,000
 * files; the goal is ≤ 10 s, linear, with flat memory). The folder's creation is not timed.
 */
export async function measureRegistration(store: DataStore, tag: string, scale: ScaleParameters): Promise<RegistrationResult> {
  const { files } = scale.registration
  const folder = mkdtempSync(join(os.tmpdir(), `processtracker-bench-files-${tag}-`))
  try {
    for (let i = 0; i < files; i++) writeFileSync(join(folder, `file_${String(i).padStart(6, '0')}.csv`), 'x\n')
    const run = await ProcessTracker.start(store, { processName: `bench ${tag} registration`, processType: 'Extract', actorName: 'bench' })
    const rssBefore = process.memoryUsage().rss
    const timed = async () => {
      const statements = store.statementCounts.statements
      const t0 = performance.now()
      const extracts = await run.registerExtractsByLocation(folder)
      if (extracts.length !== files) throw new Error(`registered ${extracts.length} of ${files} files`)
      return { seconds: (performance.now() - t0) / 1000, statements: store.statementCounts.statements - statements }
    }
    const fresh = await timed()
    const again = await timed()
    const rssGrowthBytes = process.memoryUsage().rss - rssBefore
    await run.complete()
    return {
      files,
      newSeconds: fresh.seconds,
      existingSeconds: again.seconds,
      statementsNew: fresh.statements,
      statementsExisting: again.statements,
      rssGrowthBytes,
    }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}
