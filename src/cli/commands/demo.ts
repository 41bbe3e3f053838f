/**
 * `processtracker demo [--keep]`: the quick-start. On a temporary SQLite store it runs a pipeline of
 * three dependent processes, shows the dependency gate refusing a start, a failure streak putting a
 * process on hold and its release, and prints the runs table, narrating each step on stdout with the
 * command a user would type for it. It uses the library directly, as any program would.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Command } from 'commander'
import { DataStore, ProcessHaltedError, ProcessTracker, type ProcessTrackerError } from '../../index.ts'
import type { Act } from '../action.ts'
import { cliLogger, type CliContext } from '../context.ts'
import { isRefusal } from '../exit-codes.ts'
import { cliMessage } from '../hints.ts'
import { DEMO_EXTRACT, DEMO_LOAD, DEMO_REPORT, claimSummary, extractJob, loadJob, reportJob, type DemoFolders } from '../demo-pipeline.ts'
import { printRuns } from '../run-table.ts'

interface DemoOptions {
  keep?: boolean
}

/** Failures in a row that put a process on hold in the demo (the default is 5; 3 keeps it short). */
const DEMO_MAX_FAILURES = 3

/** Adds `demo` to the program. */
export function addDemoCommand(program: Command, act: Act): void {
  program
    .command('demo')
    .summary('a few-second tour on a temporary SQLite store')
    .description(
      'Run a small pipeline (an extract, a load that depends on it, a report that depends on the load) on a ' +
        'temporary SQLite store, showing the dependency gate, a process put on hold by repeated failures and ' +
        'its release, and the runs table. Touches no other data store. The store is removed at the end ' +
        'unless --keep is given (its path is printed).',
    )
    .option('--keep', 'keep the temporary store and files, and print where they are')
    .addHelpText(
      'after',
      `
Examples:
  $ npx processtracker demo
  $ processtracker demo --keep      # then: processtracker --url sqlite:PATH runs`,
    )
    .action(
      act(async (context, command) => {
        const { keep = false } = command.opts<DemoOptions>()
        const folder = await mkdtemp(path.join(os.tmpdir(), 'processtracker-demo-'))
        const database = path.join(folder, 'demo.db')
        try {
          await tour(context, folder, database, keep)
        } finally {
          if (!keep) await rm(folder, { recursive: true, force: true })
        }
        return 0
      }),
    )
}

/** The narration: plain lines on stdout, silent with --json (which prints the runs at the end). */
class Narrator {
  readonly #context: CliContext

  constructor(context: CliContext) {
    this.#context = context
  }

  get #out() {
    return this.#context.output.out
  }

  line(text = ''): void {
    if (!this.#context.output.mode.json) this.#context.output.result(text)
  }

  bold(text: string): string {
    return this.#out.bold(text)
  }

  step(number: number, title: string): void {
    this.line()
    this.line(this.#out.bold(`${number}. ${title}`))
  }

  command(text: string): void {
    this.line(`   ${this.#out.dim('$')} ${this.#out.cyan(text)}`)
  }

  ok(text: string): void {
    this.line(`   ${this.#out.green('✔')} ${text}`)
  }

  failed(text: string): void {
    this.line(`   ${this.#out.red('✖')} ${text}`)
  }

  refused(text: string, error: ProcessTrackerError): void {
    this.line(`   ${this.#out.yellow('⏸')} ${text}`)
    this.line(`     ${this.#out.dim(`${error.code}: ${cliMessage(error)}`)}`)
  }

  note(text: string): void {
    this.line(`   ${text}`)
  }
}

/** Runs the tour on a fresh store in `folder`. */
async function tour(context: CliContext, folder: string, database: string, keep: boolean): Promise<void> {
  const say = new Narrator(context)
  const started = Date.now()
  const folders: DemoFolders = { landing: path.join(folder, 'landing'), warehouse: path.join(folder, 'warehouse') }
  const url = `sqlite:${database}`
  // env {} and the temp folder as home: the user's own settings and stores are never read.
  const store = await DataStore.open({
    url,
    env: {},
    homeDir: folder,
    maxConcurrentFailures: DEMO_MAX_FAILURES,
    logger: cliLogger(context.output, context.globals.debug === true),
  })
  try {
    say.line(say.bold(`ProcessTracker demo on a temporary SQLite store: ${database}`))
    say.line('A pipeline of three processes passing files as tracked extracts (ready → loading → loaded):')
    say.line(`   ${DEMO_EXTRACT} (writes CSV files) → ${DEMO_LOAD} (loads them, writes a summary) → ${DEMO_REPORT} (reads the summary)`)

    say.step(1, 'First runs: each start creates its process, each run records what it did')
    await pipeline(store, say, folders, 1)

    say.step(2, `Dependencies: ${DEMO_LOAD} needs ${DEMO_EXTRACT}, ${DEMO_REPORT} needs ${DEMO_LOAD}`)
    say.command(`processtracker create -t "process dependency" -p "${DEMO_EXTRACT}" -c "${DEMO_LOAD}"`)
    await store.addProcessDependency(DEMO_EXTRACT, DEMO_LOAD)
    say.command(`processtracker create -t "process dependency" -p "${DEMO_LOAD}" -c "${DEMO_REPORT}"`)
    await store.addProcessDependency(DEMO_LOAD, DEMO_REPORT)
    say.ok("A child no longer starts until its parent's latest run completed (running, failed, on hold or released all block).")

    say.step(3, 'The dependency gate')
    const extract = await ProcessTracker.start(store, { processName: DEMO_EXTRACT })
    say.note(`${DEMO_EXTRACT} run ${extract.processRunId} has started and is still running…`)
    say.command(`processtracker run -p "${DEMO_LOAD}" -- ./load.sh`)
    await refusedStart(store, say, DEMO_LOAD, 'refused, exit code 3: its parent is still running')
    const files = await extractJob(extract, folders, 2)
    await extract.complete()
    say.ok(`${DEMO_EXTRACT} run ${extract.processRunId} completed: ${files.length} files registered as ready extracts`)
    await load(store, say, folders, 2)

    say.step(4, `On hold after ${DEMO_MAX_FAILURES} failures in a row (max_concurrent_failures = ${DEMO_MAX_FAILURES} in this store)`)
    for (let attempt = 1; attempt <= DEMO_MAX_FAILURES; attempt += 1) {
      const run = await ProcessTracker.start(store, { processName: DEMO_REPORT })
      const claimed = await claimSummary(run, folders)
      try {
        await run.raiseRunError('Data Error', { description: 'The report server did not answer (simulated).', failRun: true })
      } catch (error) {
        if (!(error instanceof ProcessHaltedError)) throw error
      }
      say.failed(`${DEMO_REPORT} run ${run.processRunId} failed: the report server did not answer (simulated)`)
      if (attempt === 1 && claimed !== undefined)
        say.note(`  ${claimed.filename}, which it had claimed, went back to ready for the next run`)
    }
    await refusedStart(store, say, DEMO_REPORT, 'refused: the failure streak put the process on hold')
    say.command(`processtracker why "${DEMO_REPORT}"`)
    const why = await store.explain(DEMO_REPORT)
    say.note(`${why.allowed ? 'allowed' : `refused by rule ${why.rule ?? '?'}`}: ${why.message ?? ''}`)
    say.note('Once the cause is fixed, release the hold:')
    say.command(`processtracker release "${DEMO_REPORT}"`)
    const released = await store.releaseHold(DEMO_REPORT)
    say.ok(`run ${released.processRunId} of ${DEMO_REPORT} is now ${released.status}; the next start runs`)
    await report(store, say, folders)

    say.step(5, 'Every run, newest first')
    say.command('processtracker runs')
    const runs = await store.listRuns({ limit: 50 })
    if (context.output.mode.json) context.output.json({ store: keep ? database : null, runs })
    else printRuns(context.output, runs, 'No runs.')

    say.line()
    say.line(`Done in ${((Date.now() - started) / 1000).toFixed(1)}s.`)
    if (keep) {
      say.line(`The store is kept: ${database}`)
      say.command(`processtracker --url "${url}" runs`)
    } else {
      say.line('The temporary store is removed (keep it with: processtracker demo --keep).')
    }
    say.line('Track your own jobs:')
    say.command('processtracker run -p "My Job" --type Extract -- ./my-job.sh')
  } finally {
    await store.close()
  }
}

/** Extract, load and report, each a completed run; the first starts give each process its type. */
async function pipeline(store: DataStore, say: Narrator, folders: DemoFolders, batch: number): Promise<void> {
  const extract = await ProcessTracker.start(store, { processName: DEMO_EXTRACT, processType: 'Extract', toolName: 'processtracker demo' })
  const files = await extractJob(extract, folders, batch)
  await extract.complete()
  say.ok(`${DEMO_EXTRACT} run ${extract.processRunId} completed: ${files.length} files registered as ready extracts`)
  await load(store, say, folders, batch, { processType: 'Load', toolName: 'processtracker demo' })
  await report(store, say, folders, { processType: 'Report', toolName: 'processtracker demo' })
}

/** New processes need a type; later starts keep what is stored. */
interface FirstStart {
  processType?: string
  toolName?: string
}

/** One completed load run. */
async function load(store: DataStore, say: Narrator, folders: DemoFolders, batch: number, first: FirstStart = {}): Promise<void> {
  const run = await ProcessTracker.start(store, { processName: DEMO_LOAD, ...first })
  const { files, rows, summary } = await loadJob(run, folders, batch)
  await run.complete()
  say.ok(
    `${DEMO_LOAD} run ${run.processRunId} completed: claimed and loaded ${files} files (${rows} rows), wrote ${summary} as a ready extract`,
  )
}

/** One completed report run, reading the load's summary. */
async function report(store: DataStore, say: Narrator, folders: DemoFolders, first: FirstStart = {}): Promise<void> {
  const run = await ProcessTracker.start(store, { processName: DEMO_REPORT, ...first })
  const summary = await claimSummary(run, folders)
  if (summary === undefined) throw new Error(`The demo expected a ready summary from ${DEMO_LOAD}.`)
  const leader = await reportJob(run, summary)
  await run.complete()
  say.ok(`${DEMO_REPORT} run ${run.processRunId} completed: ${leader}`)
}

/** A start that the demo expects to be refused; anything else is a bug in the demo. */
async function refusedStart(store: DataStore, say: Narrator, processName: string, what: string): Promise<void> {
  let run: ProcessTracker
  try {
    run = await ProcessTracker.start(store, { processName })
  } catch (error) {
    if (!isRefusal(error)) throw error
    say.refused(`${processName} ${what}`, error)
    return
  }
  await run.fail()
  throw new Error(`The demo expected the start of ${processName} to be refused.`)
}
