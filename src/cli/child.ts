/**
 * Runs the command `processtracker run` wraps: stdin and stdout passed through, stderr copied through
 * while its last lines are kept for the run's error, SIGINT and SIGTERM forwarded.
 */
import { spawn } from 'node:child_process'
import os from 'node:os'

/**
 * How many stderr lines `run` keeps while copying: more than a 750-character description can hold, so
 * the description is cut at a line boundary from whole lines.
 */
export const KEPT_STDERR_LINES = 200
/** A single stderr line longer than this is cut: the error description holds 750 characters anyway. */
const MAX_LINE = 1000

/** The last lines of a stream, kept while it is copied through. */
export class LineTail {
  readonly #max: number
  readonly #lines: string[] = []
  #total = 0
  #partial = ''
  readonly #decoder = new TextDecoder()

  constructor(max: number) {
    this.#max = max
  }

  /** Feeds a chunk; complete lines are kept, a partial one waits for its end. */
  push(chunk: Uint8Array): void {
    const text = this.#partial + this.#decoder.decode(chunk, { stream: true })
    const parts = text.split(/\r?\n/)
    this.#partial = (parts.pop() ?? '').slice(-MAX_LINE)
    for (const line of parts) this.#keep(line)
  }

  /** The kept lines, the unfinished last one included. */
  lines(): string[] {
    const rest = this.#partial + this.#decoder.decode()
    this.#partial = ''
    if (rest !== '') this.#keep(rest)
    return [...this.#lines]
  }

  /** How many lines went by in all, the ones no longer kept included. */
  get total(): number {
    return this.#total
  }

  #keep(line: string): void {
    this.#total += 1
    this.#lines.push(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line)
    if (this.#lines.length > this.#max) this.#lines.shift()
  }
}

/** How the child ended. */
export interface ChildOutcome {
  /** The exit code, or null when a signal ended it or it never started. */
  code: number | null
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null
  /** The signal the wrapper received and forwarded (the first one), if any. */
  interruptedBy: NodeJS.Signals | null
  /** Why the command could not be started (not found, not executable), if it was not. */
  spawnError: NodeJS.ErrnoException | null
  /** The last stderr lines. */
  stderrTail: string[]
  /** How many stderr lines the command wrote in all. */
  stderrLines: number
  /** Whether the child was sent SIGKILL because it outlived `--kill-after`. */
  killed: boolean
}

/** The number of a signal (SIGTERM → 15), for the 128 + N exit code. */
export function signalNumber(signal: NodeJS.Signals): number {
  return os.constants.signals[signal]
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']

/**
 * Spawns `file args` and resolves when it has ended; its stdout goes to `stdout` when given (an
 * in-process caller's stream), else straight to this process's. While it runs, SIGINT and SIGTERM sent to this
 * process are forwarded to the child instead of ending the wrapper, so the run can still be recorded;
 * a child still alive `killAfterSeconds` after the first forwarded signal is sent SIGKILL, so one that
 * ignores SIGTERM cannot keep the wrapper (and its run) alive forever.
 */
export function runChild(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  stderr: NodeJS.WritableStream,
  killAfterSeconds = 30,
  stdout?: NodeJS.WritableStream,
): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const tail = new LineTail(KEPT_STDERR_LINES)
    let interruptedBy: NodeJS.Signals | null = null
    let spawnError: NodeJS.ErrnoException | null = null
    let killTimer: NodeJS.Timeout | undefined
    let killed = false
    // stdout is inherited (the command writes straight to the wrapper's), unless the caller gives its own.
    const child = spawn(file, args, { env, stdio: ['inherit', stdout === undefined ? 'inherit' : 'pipe', 'pipe'] })
    if (stdout !== undefined) child.stdout?.pipe(stdout, { end: false })
    const forward = (signal: NodeJS.Signals) => {
      interruptedBy ??= signal
      child.kill(signal)
      killTimer ??= setTimeout(() => {
        killed = true
        child.kill('SIGKILL')
      }, killAfterSeconds * 1000)
    }
    for (const signal of FORWARDED) process.on(signal, forward)
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.write(chunk)
      tail.push(chunk)
    })
    child.on('error', (error: NodeJS.ErrnoException) => {
      // 'error' without 'close' means the command never started; a kill failure after start is ignored.
      if (child.pid === undefined) spawnError = error
    })
    child.on('close', (code, signal) => {
      for (const name of FORWARDED) process.off(name, forward)
      clearTimeout(killTimer)
      const stderrTail = tail.lines()
      resolve({ code, signal, interruptedBy, spawnError, stderrTail, stderrLines: tail.total, killed })
    })
  })
}
