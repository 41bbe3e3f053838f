/**
 * `processtracker run -p NAME [...] -- COMMAND [ARGS...]`: any program as a tracked run. The start
 * rules decide first (a refusal exits 3 and the command never runs); the command's exit decides the
 * outcome; the wrapper exits with the command's code so cron and CI see what they would have seen.
 */
import { Writable } from 'node:stream'
import { lineageChildEnvironment } from '../../api/lineage-environment.ts'
import { Option, type Command } from 'commander'
import { ProcessTracker, ValidationError, type DataStore, type StartOptions } from '../../index.ts'
import type { Act } from '../action.ts'
import { runChild, signalNumber, type ChildOutcome } from '../child.ts'
import { storeEnvironment, type CliContext } from '../context.ts'
import { asOptionError, UsageError } from '../exit-codes.ts'
import { recordOutcome, retryWindowSeconds } from '../outcome.ts'
import { collect, integerIn } from '../parsers.ts'
import { trackRemote } from '../remote/remote-run.ts'
import { remoteTarget } from '../remote/remote-store.ts'
import type { OutputStream } from '../output.ts'
import { describeFailure } from '../stderr-summary.ts'

interface RunOptions {
  process: string
  type?: string
  actor?: string
  tool?: string
  source?: string[]
  target?: string[]
  runName?: string
  heartbeat: number
  killAfter: number
}

/** The library's start option fields → the options that set them, for usage errors. */
const FLAGS = {
  processName: '-p/--process',
  processType: '--type',
  actorName: '--actor',
  toolName: '--tool',
  processRunName: '--run-name',
  sources: '--source',
  targets: '--target',
  heartbeatTimeoutSeconds: '--heartbeat',
}
/** Exit codes a shell uses when a command cannot be run: not found, not executable. */
const EXIT_NOT_FOUND = 127
const EXIT_NOT_EXECUTABLE = 126

/** Adds `run` to the program. */
export function addRunCommand(program: Command, act: Act): void {
  program
    .command('run')
    .summary('run a command as a tracked run of a process')
    .description(
      'Start a run of PROCESS, run COMMAND, and record how it ended: exit 0 completes the run; another exit ' +
        'code or a signal records a Process Error (with the last whole stderr lines that fit in 750 characters) and fails it. When the start ' +
        'is refused (already running, on hold, or a dependency not done) the reason is printed, the command is ' +
        "not run and the exit code is 3. Otherwise processtracker exits with the command's exit code " +
        '(128 + N when a signal N ended it; 70 when the outcome could not be recorded).\n\n' +
        'The command gets PROCESS_TRACKER_TRACKING_ID, PROCESS_TRACKER_PROCESS_NAME and the data store ' +
        '(PROCESS_TRACKER_DATABASE_URL or PROCESS_TRACKER_CONFIG), so it can call `processtracker report`. ' +
        'SIGINT and SIGTERM are passed on to the command; the run is then failed ("interrupted by SIGTERM"), and a ' +
        'command still alive --kill-after seconds later is killed (SIGKILL). When the data store is briefly unreachable ' +
        'as the command ends, recording the outcome is retried for max(60 s, --heartbeat) seconds ' +
        '($PROCESS_TRACKER_OUTCOME_RETRY_SECONDS overrides the window) before exiting 70.',
    )
    .requiredOption('-p, --process <name>', 'the process this run belongs to (created on first use; give --type then)')
    .option('--type <type>', 'the process type, e.g. Extract or Load (needed when the process is new)')
    .option('--actor <name>', 'who runs it (default: the OS user)')
    .option('--tool <name>', 'the tool (default for a new process: Node.js)')
    .option('--source <name>', 'a source the process reads (repeatable)', collect)
    .option('--target <name>', 'a target the process writes (repeatable)', collect)
    .option('--run-name <name>', 'a name for this run, unique across all runs')
    .addOption(
      new Option('--heartbeat <seconds>', 'heartbeat timeout: a run silent this long is failed by the reaper (0 = none)')
        .argParser(integerIn(0, 86_400))
        .default(60),
    )
    .addOption(
      new Option('--kill-after <seconds>', 'after passing on SIGINT/SIGTERM, wait this long, then SIGKILL the command')
        .argParser(integerIn(0, 86_400))
        .default(30),
    )
    .argument('<command...>', 'the command to run and its arguments (after --)')
    .addHelpText(
      'after',
      `
Valid values: -p is any process name (see processtracker processes; a new one needs --type, any
type name, e.g. Extract or Load); --actor, --tool, --source and --target are created when new.

Examples:
  $ processtracker run -p "Teams Extract" --type Extract -- ./extract-teams.sh --year 2026
  $ processtracker run -p "Teams Load" --type Load --source Lahman --target Warehouse -- python load.py

  # crontab: the nightly load, skipped while the extract is still running or failed
  15 2 * * * processtracker --config /etc/pt run -p "Teams Load" -- /opt/etl/load.sh >> /var/log/load.log 2>&1

  # inside the command, record counts and dates against the run:
  processtracker report --records 10342 --low 2026-01-01 --high 2026-01-31`,
    )
    .action(
      act(async (context, command) => {
        const options = command.opts<RunOptions>()
        const [commandLine] = command.processedArgs as [string[]]
        const [file, ...args] = commandLine
        if (file === undefined || file === '')
          throw new UsageError('run needs a command after --, e.g. processtracker run -p NAME -- ./job.sh')
        const remote = remoteTarget(context)
        if (remote)
          return trackRemote(context, remote, {
            start: startOptions(options),
            heartbeatSeconds: options.heartbeat,
            killAfterSeconds: options.killAfter,
            file,
            args,
            describe,
          })
        const store = await context.openStore()
        try {
          return await track(context, store, options, file, args)
        } finally {
          await store.close()
        }
      }),
    )
}

async function track(context: CliContext, store: DataStore, options: RunOptions, file: string, args: string[]): Promise<number> {
  const { output } = context
  const start = startOptions(options)
  let run: ProcessTracker
  try {
    run = await ProcessTracker.start(store, start)
  } catch (error) {
    if (error instanceof ValidationError && error.details.field === 'processType' && error.message.includes('does not exist yet')) {
      throw new UsageError(`The process ${options.process} does not exist yet: give --type (e.g. --type Extract) to create it.`)
    }
    throw asOptionError(error, FLAGS)
  }
  output.info(
    output.err.dim(`processtracker: run ${run.processRunId} of ${run.processName} started (tracking id ${run.processTrackingId}).`),
  )
  if (options.heartbeat > 0) run.startHeartbeat()
  run.signal.addEventListener('abort', () => {
    output.warn(
      `run ${run.processRunId} of ${run.processName} (tracking id ${run.processTrackingId}) was ended elsewhere (reaped or failed by hand); the command keeps running.`,
    )
  })
  const env = {
    ...storeEnvironment(context.globals, context.env),
    PROCESS_TRACKER_TRACKING_ID: String(run.processTrackingId),
    PROCESS_TRACKER_PROCESS_NAME: run.processName,
    ...lineageChildEnvironment(store, run), // PROCESS_TRACKER_RUN_UUID, OPENLINEAGE_PARENT_ID
  }
  const { stdout, stderr } = childStreams(context)
  const outcome = await runChild(file, args, env, stderr, options.killAfter, stdout)
  const { exitCode, summary } = describe(outcome, file)
  try {
    // The heartbeat goes on while the outcome is recorded (and retried), so the reaper does not
    // take a run whose wrapper is only waiting for the database to come back.
    const windowSeconds = retryWindowSeconds(options.heartbeat, context.env)
    return await recordOutcome(
      context,
      run,
      summary === null ? null : describeFailure(summary, outcome.stderrTail, outcome.stderrLines),
      exitCode,
      windowSeconds,
    )
  } finally {
    run.stopHeartbeat()
  }
}

/**
 * Where the command's output goes: straight to this process's stdout and stderr when the CLI runs as
 * the binary; into the given streams when it runs in-process (tests, embedding).
 */
function childStreams(context: CliContext): { stdout?: NodeJS.WritableStream; stderr: NodeJS.WritableStream } {
  const { streams } = context
  return {
    ...(streams.stdout === process.stdout ? {} : { stdout: textSink(streams.stdout) }),
    stderr: streams.stderr === process.stderr ? process.stderr : textSink(streams.stderr),
  }
}

/** A byte stream that writes its text, decoded as UTF-8 across chunk boundaries, to an output stream. */
function textSink(stream: OutputStream): NodeJS.WritableStream {
  const decoder = new TextDecoder()
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      stream.write(decoder.decode(chunk, { stream: true }))
      done()
    },
  })
}

/** The start options the command line asks for. */
function startOptions(options: RunOptions): StartOptions {
  return {
    processName: options.process,
    processType: options.type,
    actorName: options.actor,
    toolName: options.tool,
    processRunName: options.runName,
    sources: options.source ?? [],
    targets: options.target ?? [],
    heartbeatTimeoutSeconds: options.heartbeat > 0 ? options.heartbeat : undefined,
  }
}

/** The wrapper's exit code, and what went wrong (null for success). */
function describe(outcome: ChildOutcome, file: string): { exitCode: number; summary: string | null } {
  const { code, signal, interruptedBy, spawnError } = outcome
  if (spawnError !== null) {
    const exitCode = spawnError.code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE
    return { exitCode, summary: `The command ${file} could not be started: ${spawnError.code ?? spawnError.message}.` }
  }
  const ended =
    signal !== null
      ? `was killed by ${signal}${outcome.killed ? ' after --kill-after ran out' : ''}`
      : `exited with code ${code ?? 'unknown'}`
  const exitCode = signal !== null ? 128 + signalNumber(signal) : (code ?? 1)
  if (interruptedBy !== null) {
    // Failed even when the command exits 0 after the signal: it did not finish its work. The exit code
    // is then the signal's, since a 0 would tell cron the job succeeded.
    return {
      exitCode: exitCode === 0 ? 128 + signalNumber(interruptedBy) : exitCode,
      summary: `The run was interrupted by ${interruptedBy}; the command ${ended}.`,
    }
  }
  if (signal !== null || code !== 0) return { exitCode, summary: `The command ${ended}.` }
  return { exitCode: 0, summary: null }
}
