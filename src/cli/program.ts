/**
 * The `processtracker` program: global options, commands, help, and the one place where an outcome
 * becomes an exit code (0 ok, 1 error, 2 usage, 3 refused by the tracker; `run` passes its command's on).
 */
import { Command, CommanderError, Option } from 'commander'
import { VERSION } from '../index.ts'
import { actFor, outputFor, type CliState } from './action.ts'
import { addApplyCommand } from './commands/apply.ts'
import { addCreateCommand } from './commands/create.ts'
import { addDeleteCommand } from './commands/delete.ts'
import { addDemoCommand } from './commands/demo.ts'
import { addServeCommand } from './commands/serve.ts'
import { addTokenCommand } from './commands/token.ts'
import { addEncryptCommand } from './commands/encrypt.ts'
import { addExtractsCommand } from './commands/extracts.ts'
import { addFailCommand } from './commands/fail.ts'
import { addImportPythonCommand } from './commands/import-python.ts'
import { addGraphCommand } from './commands/graph.ts'
import { addInfoCommand } from './commands/info.ts'
import { addLineageCommand } from './commands/lineage.ts'
import { addProcessesCommand } from './commands/processes.ts'
import { addReleaseCommand } from './commands/release.ts'
import { addShowCommand } from './commands/show.ts'
import { addReapCommand } from './commands/reap.ts'
import { addReportCommand } from './commands/report.ts'
import { addRunCommand } from './commands/run.ts'
import { addRunsCommand } from './commands/runs.ts'
import { addSetupCommand } from './commands/setup.ts'
import { addUpdateCommand } from './commands/update.ts'
import { addWhyCommand } from './commands/why.ts'
import { SCHEMA_ENV, type GlobalOptions } from './context.ts'
import { reportError } from './exit-codes.ts'
import type { OutputStreams } from './output.ts'

const INTRO =
  'Audit and guard data-integration processes: one running run per process, dependency gates, on hold after ' +
  'repeated failures, and extract files tracked between processes.\n\n' +
  'The data store, first match wins: --url > --config > $PROCESS_TRACKER_DATABASE_URL > $PROCESS_TRACKER_CONFIG > ' +
  '~/.process_tracker/process_tracker_config.ini > SQLite at ~/.process_tracker/process_tracker.db.'

const EXAMPLES = `
Examples:
  $ processtracker demo                                      # a 5-second tour on a temporary store
  $ processtracker run -p "Teams Load" --type Load -- ./load.sh
  $ processtracker runs --limit 10
  $ processtracker why "Teams Load"
  $ processtracker info                                      # which store, chosen how
  $ processtracker apply -f pipeline.yaml --dry-run
  $ processtracker --url postgres://pt@db:5432/tracker setup
  $ processtracker create -t "process dependency" -p "Teams Extract" -c "Teams Load"

Exit codes: 0 ok, 1 error, 2 usage error, 3 refused by the tracker (running, on hold, blocked);
run exits with its command's code.`

/** Builds the program for one invocation; handlers record their exit code in `state`. */
export function buildProgram(state: CliState): Command {
  const { streams } = state
  const program = new Command('processtracker')
    .description(INTRO)
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help (also: processtracker help COMMAND)')
    .option('--url <url>', 'the data store: sqlite:PATH, postgres://USER:PASSWORD@HOST:PORT/DB or mysql://…')
    .option('--config <path>', 'a process_tracker_config.ini, or the folder holding it (local or s3://)')
    .addOption(new Option('--schema <name>', 'PostgreSQL schema to work in').env(SCHEMA_ENV).hideHelp())
    .option('--server <url>', 'work through a processtracker server instead of the database (env PROCESS_TRACKER_SERVER_URL)')
    .option('--token <token>', "the server's bearer token (env PROCESS_TRACKER_TOKEN)")
    .option('--json', 'machine-readable output on stdout')
    .option('-q, --quiet', 'no progress or confirmation messages (errors still go to stderr)')
    .option('--debug', 'the connection resolution, stack traces and library diagnostics on stderr')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
      // Commander's usage errors read like the others: "Error: …".
      outputError: (text, write) => {
        write(text.replace(/^error: /, 'Error: '))
      },
    })
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText('after', EXAMPLES)
  const act = actFor(state)
  addSetupCommand(program, act)
  addCreateCommand(program, act)
  addUpdateCommand(program, act)
  addDeleteCommand(program, act)
  addEncryptCommand(program, act)
  addRunCommand(program, act)
  addReportCommand(program, act)
  addRunsCommand(program, act)
  addWhyCommand(program, act)
  addReapCommand(program, act)
  addFailCommand(program, act)
  addDemoCommand(program, act)
  addImportPythonCommand(program, act)
  addServeCommand(program, act)
  addTokenCommand(program, act)
  addInfoCommand(program, act)
  addProcessesCommand(program, act)
  addShowCommand(program, act)
  addGraphCommand(program, act)
  addReleaseCommand(program, act)
  addApplyCommand(program, act)
  addExtractsCommand(program, act)
  addLineageCommand(program, act)
  return program
}

/**
 * Runs the command line (without `node` and the script) and returns the exit code. Never throws: every
 * error is printed as one line and mapped to its code.
 */
export async function runCli(argv: readonly string[], streams: OutputStreams): Promise<number> {
  const state: CliState = { streams, exitCode: 0 }
  const program = buildProgram(state)
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return state.exitCode
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return 0
    return reportError(error, outputFor(streams, program.opts<GlobalOptions>()))
  }
}
