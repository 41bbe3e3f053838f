/**
 * Everything the command writes. Results go to stdout (tables, JSON, the encrypted password), messages
 * for people go to stderr (progress, confirmations, warnings, errors), so `processtracker runs --json |
 * jq` never sees a progress line. Colours only on a TTY and never when `NO_COLOR` is set.
 */
import pc from 'picocolors'
import { codePoints } from './text.ts'

/** A stream the command writes to; `isTTY` and `columns` exist on terminals only. */
export interface OutputStream {
  write(text: string): boolean
  isTTY?: boolean
  columns?: number
}

/** Where the command's output goes, and the environment that decides colours. */
export interface OutputStreams {
  stdout: OutputStream
  stderr: OutputStream
  env: NodeJS.ProcessEnv
  /** Where `setup -o` reads its confirmation from; absent in tests that never ask. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean }
}

/** How the global options shape the output. */
export interface OutputMode {
  json: boolean
  quiet: boolean
  debug: boolean
}

/** picocolors' formatter set, coloured or plain. */
export type Colors = ReturnType<typeof pc.createColors>

/** A column of {@link Output.table}: its heading, and an optional colour applied after padding. */
export interface Column<Row> {
  heading: string
  value: (row: Row) => string
  align?: 'left' | 'right'
  color?: (row: Row, colors: Colors) => ((text: string) => string) | undefined
}

/** NO_COLOR counts when present and not empty (https://no-color.org). */
function colorsWanted(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  const noColor = env.NO_COLOR
  return stream.isTTY === true && (noColor === undefined || noColor === '')
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** Code points, so a name with accents pads like a person would count it. */
function width(text: string): number {
  return codePoints(text).length
}

/** The stdout / stderr writer every command gets. */
export class Output {
  readonly mode: OutputMode
  /** Colours for text written to stdout. */
  readonly out: Colors
  /** Colours for text written to stderr. */
  readonly err: Colors
  readonly #streams: OutputStreams

  constructor(streams: OutputStreams, mode: OutputMode) {
    this.#streams = streams
    this.mode = mode
    this.out = pc.createColors(colorsWanted(streams.stdout, streams.env))
    this.err = pc.createColors(colorsWanted(streams.stderr, streams.env))
  }

  /**
   * The terminal's width for tables: stdout's columns on a terminal, else `$COLUMNS` when set, else
   * undefined (a pipe or file gets whole names).
   */
  get width(): number | undefined {
    const { stdout, env } = this.#streams
    if (stdout.isTTY === true && stdout.columns !== undefined && stdout.columns > 0) return stdout.columns
    const columns = Number(env.COLUMNS)
    return Number.isInteger(columns) && columns > 0 ? columns : undefined
  }

  /** Whether a person can answer a question: stdin and stderr are terminals. */
  get interactive(): boolean {
    return this.#streams.stderr.isTTY === true && (this.#streams.stdin?.isTTY ?? false)
  }

  /** Asks a yes/no question on stderr and reads the answer from stdin (see {@link interactive}). */
  async confirmQuestion(question: string): Promise<boolean> {
    const stdin = this.#streams.stdin
    if (stdin === undefined) return false
    const { createInterface } = await import('node:readline/promises')
    const reader = createInterface({ input: stdin, output: this.#streams.stderr as NodeJS.WritableStream, terminal: false })
    try {
      const answer = await reader.question(`${question} [y/N] `)
      return /^y(es)?$/i.test(answer.trim())
    } finally {
      reader.close()
    }
  }

  /** A result line on stdout. */
  result(line: string): void {
    this.#streams.stdout.write(`${line}\n`)
  }

  /** A result as JSON on stdout (dates as ISO strings). */
  json(value: unknown): void {
    this.#streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  }

  /** What a change did: its JSON on stdout with `--json`, else a line for people on stderr. */
  confirm(result: Record<string, unknown>, message: string): void {
    if (this.mode.json) this.json(result)
    else this.info(message)
  }

  /** A message for people on stderr; `--quiet` silences it. */
  info(line: string): void {
    if (!this.mode.quiet) this.#streams.stderr.write(`${line}\n`)
  }

  /** A warning on stderr, shown even with `--quiet`: something went differently than asked. */
  warn(line: string): void {
    this.#streams.stderr.write(`${this.err.yellow('Warning:')} ${line}\n`)
  }

  /** The one error line (and, with `--debug`, the details that follow it). */
  error(message: string, details?: string): void {
    this.#streams.stderr.write(`${this.err.red('Error:')} ${message}\n`)
    if (details !== undefined && details !== '') this.#streams.stderr.write(`${this.err.dim(details)}\n`)
  }

  /** Raw text on stderr (diagnostics from the library's logger); shown even with `--quiet`. */
  diagnostic(line: string): void {
    this.#streams.stderr.write(`${this.err.dim(line)}\n`)
  }

  /**
   * A table on stdout: a header, then one line per row, columns padded to their widest cell. The
   * last column is not padded, so a long last error does not push trailing spaces.
   */
  table<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): void {
    const cells = rows.map((row) => columns.map((column) => column.value(row)))
    const widths = columns.map((column, index) => Math.max(width(column.heading), ...cells.map((line) => width(line[index] ?? ''))))
    const pad = (text: string, index: number): string => {
      if (index === columns.length - 1) return text
      const fill = ' '.repeat((widths[index] ?? 0) - width(text))
      return columns[index]?.align === 'right' ? fill + text : text + fill
    }
    this.result(
      columns
        .map((column, index) => this.out.bold(pad(column.heading, index)))
        .join('  ')
        .trimEnd(),
    )
    rows.forEach((row, rowIndex) => {
      const line = columns.map((column, index) => {
        const text = pad(cells[rowIndex]?.[index] ?? '', index)
        const paint = column.color?.(row, this.out)
        return paint ? paint(text) : text
      })
      this.result(line.join('  ').trimEnd())
    })
  }

  /** A live status line on a TTY (stderr), rewritten in place; `null` clears it. Nothing elsewhere or with --quiet. */
  status(line: string | null): void {
    if (this.mode.quiet || this.#streams.stderr.isTTY !== true) return
    this.#streams.stderr.write(line === null ? '\r\x1b[K' : `\r\x1b[K${line}`)
  }

  /**
   * Runs long work with a spinner on a TTY (stderr), or one line saying what is happening elsewhere.
   * The final line says how long it took, so a slow `setup --overwrite` is visibly alive; `detail`
   * (say "1500/10000 files") is redrawn with the spinner.
   */
  async progress<T>(label: string, work: () => Promise<T>, detail: () => string = () => ''): Promise<T> {
    const stderr = this.#streams.stderr
    if (this.mode.quiet) return work()
    if (stderr.isTTY !== true) {
      this.info(`${label}...`)
      return work()
    }
    const started = Date.now()
    let frame = 0
    const draw = () => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      const more = detail()
      stderr.write(
        `\r\x1b[K${this.err.cyan(SPINNER[frame % SPINNER.length] ?? '-')} ${label}${more === '' ? '' : ` ${more}`} ${this.err.dim(`${seconds}s`)}`,
      )
      frame += 1
    }
    draw()
    const timer = setInterval(draw, 80)
    try {
      const value = await work()
      stderr.write(`\r\x1b[K${this.err.green('✔')} ${label} ${this.err.dim(`${((Date.now() - started) / 1000).toFixed(1)}s`)}\n`)
      return value
    } catch (error) {
      stderr.write(`\r\x1b[K${this.err.red('✖')} ${label}\n`)
      throw error
    } finally {
      clearInterval(timer)
    }
  }
}
