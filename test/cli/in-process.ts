/**
 * Runs the `processtracker` program in this process, through its entry (`runCli`), with captured
 * stdout and stderr: the same commander program, handlers and exit-code mapping as the built command,
 * without a Node start per call. Subprocess tests (cli.ts) cover the binary itself.
 */
import { runCli } from '../../src/cli/program.ts'
import type { OutputStream } from '../../src/cli/output.ts'
import type { IsolatedDatabase } from '../support/dialects.ts'
import type { CliResult } from './cli.ts'

/** A stream that keeps what is written; `columns` pretends to be a terminal that wide. */
class Capture implements OutputStream {
  text = ''
  readonly isTTY: boolean
  readonly columns: number | undefined

  constructor(columns?: number, tty = columns !== undefined) {
    this.isTTY = tty
    this.columns = columns
  }

  write(text: string): boolean {
    this.text += text
    return true
  }
}

/** Options of one in-process call. */
export interface InProcessOptions {
  /** The environment the command sees (default: none at all). */
  env?: NodeJS.ProcessEnv
  /** Make stdout a terminal this many columns wide (colours stay off: NO_COLOR is set). */
  columns?: number
  /** Make stderr a terminal (progress is drawn there). */
  stderrTTY?: boolean
}

/** Runs the command line in-process; resolves with its exit code and output. */
export async function runInProcess(args: readonly string[], options: InProcessOptions = {}): Promise<CliResult> {
  const stdout = new Capture(options.columns)
  const stderr = new Capture(undefined, options.stderrTTY === true)
  const code = await runCli(args, { stdout, stderr, env: { NO_COLOR: '1', ...options.env } })
  return { code, signal: null, stdout: stdout.text, stderr: stderr.text }
}

/** `pt(...args)` bound to an isolated database's `--url` (and `--schema`). */
export function inProcessCli(database: IsolatedDatabase, options: InProcessOptions = {}): (...args: string[]) => Promise<CliResult> {
  const store = ['--url', database.options.url, ...(database.options.schema === undefined ? [] : ['--schema', database.options.schema])]
  return (...args) => runInProcess([...store, ...args], options)
}
