/**
 * The three small jobs `processtracker demo` tracks: an extract that writes CSV files, a load that
 * loads them, and a report that summarises the load. They do real (tiny) file work in the demo's
 * temporary folder, so the counts and dates the runs record are true, and the files move between the
 * processes as tracked extracts: registered `ready` by the writer, claimed (`loading`) by the reader,
 * then `loaded`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ExtractTracker, LocationTracker, type ProcessTracker } from '../index.ts'

/** The demo's processes, in pipeline order. */
export const DEMO_EXTRACT = 'Demo Extract'
export const DEMO_LOAD = 'Demo Load'
export const DEMO_REPORT = 'Demo Report'

/** Folders of the demo: where the extract writes, where the load puts its summary. */
export interface DemoFolders {
  landing: string
  warehouse: string
}

const TEAMS = [
  ['BOS', 'Boston Red Sox', '108'],
  ['LAD', 'Los Angeles Dodgers', '92'],
  ['NYY', 'New York Yankees', '100'],
  ['HOU', 'Houston Astros', '103'],
  ['CLE', 'Cleveland Indians', '91'],
  ['OAK', 'Oakland Athletics', '97'],
]

/**
 * Writes three CSV files of team wins, one per month, and registers each as a `ready` extract at the
 * landing location; records the rows and the months covered.
 */
export async function extractJob(run: ProcessTracker, folders: DemoFolders, batch: number): Promise<ExtractTracker[]> {
  await mkdir(folders.landing, { recursive: true })
  const location = await LocationTracker.register(run.store, { locationPath: folders.landing, locationName: 'Demo landing' })
  const written: ExtractTracker[] = []
  for (let month = 1; month <= 3; month += 1) {
    const filename = `teams-${batch}-2018-${String(month).padStart(2, '0')}.csv`
    const rows = TEAMS.map(([id, team, wins]) => `${id},${team},${Math.round(Number(wins) / 6 + month)}`)
    await writeFile(path.join(folders.landing, filename), `team_id,team,wins\n${rows.join('\n')}\n`)
    const extract = await ExtractTracker.register(run, { filename, location, status: 'ready' })
    await extract.setRecordCount(TEAMS.length, { auditType: 'write' })
    written.push(extract)
  }
  await run.setRecordCount(written.length * TEAMS.length)
  await run.setLowHighDates({ low: new Date('2018-01-01T00:00:00Z'), high: new Date('2018-03-31T23:59:59Z') })
  return written
}

/** What the load did. */
export interface LoadResult {
  /** How many landing files it claimed and loaded. */
  files: number
  rows: number
  /** The summary file it wrote and registered `ready` for the report. */
  summary: string
}

/**
 * Claims every `ready` landing file (they become `loading` for this run), loads them, marks them
 * `loaded`, and writes a summary file registered as a `ready` extract in the warehouse.
 */
export async function loadJob(run: ProcessTracker, folders: DemoFolders, batch: number): Promise<LoadResult> {
  await mkdir(folders.warehouse, { recursive: true })
  const claimed = await run.claimExtracts({ locationPath: folders.landing, limit: 100 })
  const wins = new Map<string, number>()
  let rows = 0
  for (const extract of claimed) {
    const lines = (await readFile(extract.fullFilename, 'utf8')).trim().split('\n').slice(1)
    for (const line of lines) {
      const [, team = '?', count = '0'] = line.split(',')
      wins.set(team, (wins.get(team) ?? 0) + Number(count))
      rows += 1
    }
    await extract.setRecordCount(lines.length, { auditType: 'load' })
  }
  await run.changeExtractStatuses(claimed, 'loaded')
  const summary = `wins-${batch}.csv`
  const body = [...wins].sort((a, b) => b[1] - a[1]).map(([team, count]) => `${team},${count}`)
  await writeFile(path.join(folders.warehouse, summary), `team,wins\n${body.join('\n')}\n`)
  await ExtractTracker.register(run, {
    filename: summary,
    locationPath: folders.warehouse,
    locationName: 'Demo warehouse',
    status: 'ready',
  })
  await run.setRecordCount(rows, { processingType: 'insert' })
  return { files: claimed.length, rows, summary }
}

/**
 * Claims the load's newest ready summary (it becomes `loading` for this run; if the run fails, it
 * goes back to `ready`). Returns it, or undefined when there is none.
 */
export async function claimSummary(run: ProcessTracker, folders: DemoFolders): Promise<ExtractTracker | undefined> {
  const [summary] = await run.claimExtracts({ processName: DEMO_LOAD, locationPath: folders.warehouse })
  return summary
}

/** Reads a claimed summary, marks it `loaded`, and returns its leader line. */
export async function reportJob(run: ProcessTracker, summary: ExtractTracker): Promise<string> {
  const lines = (await readFile(summary.fullFilename, 'utf8')).trim().split('\n').slice(1)
  await run.setRecordCount(lines.length)
  await summary.changeExtractStatus('loaded')
  const [team = '?', wins = '0'] = (lines[0] ?? '').split(',')
  return `${team} lead with ${wins} wins (from ${summary.filename})`
}
