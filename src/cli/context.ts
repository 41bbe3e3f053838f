/**
 * What every command gets: the global options, the output, and a way to open the data store they
 * describe. The store is opened only by the commands that need one, so `--help`, `--version` and
 * `encrypt` never touch (or create) a database.
 */
import path from 'node:path'
import pino, { type Logger } from 'pino'
import { redactUrl } from '../config/connection-spec.ts'
import { DataStore, type OpenOptions } from '../index.ts'
import type { Output, OutputStreams } from './output.ts'
import { RemoteStore, remoteTarget } from './remote/remote-store.ts'
import { addSuggestion } from './suggestions.ts'

/** The global options, as commander parsed them. */
export interface GlobalOptions {
  url?: string
  config?: string
  /** Hidden: the PostgreSQL schema (`DataStore.open`'s `schema`); also read from PROCESS_TRACKER_SCHEMA. */
  schema?: string
  json?: boolean
  quiet?: boolean
  debug?: boolean
  /** A processtracker server to work through instead of the database (also env PROCESS_TRACKER_SERVER_URL). */
  server?: string
  /** The server's bearer token (also env PROCESS_TRACKER_TOKEN). */
  token?: string
}

/** The environment variable the hidden `--schema` option falls back to, and `run` hands to its child. */
export const SCHEMA_ENV = 'PROCESS_TRACKER_SCHEMA'

/** One command invocation's context. */
export interface CliContext {
  readonly globals: GlobalOptions
  readonly output: Output
  readonly env: NodeJS.ProcessEnv
  /** The streams the command was given: process.stdout and process.stderr, or an in-process caller's. */
  readonly streams: OutputStreams
  /** Opens the store the global options name (`--url` > `--config` > env > home > default SQLite). */
  openStore(extra?: Partial<OpenOptions>): Promise<DataStore>
}

/**
 * How the reading commands open a store: never migrate, never create a file, folder or schema. A store
 * that is missing is a ConfigError naming it and pointing at `processtracker setup`.
 */
export const READ_ONLY: Partial<OpenOptions> = { migrate: false, mustExist: true }

/** Where a store's connection came from, in the words of the resolution order (cli.md `info`). */
export function describeSource(store: DataStore): string {
  const { source, configFile } = store.connection
  switch (source) {
    case 'url':
      return 'the --url option'
    case 'configLocation':
      return `the --config option (ini file at ${configFile ?? '?'})`
    case 'PROCESS_TRACKER_DATABASE_URL':
      return 'env PROCESS_TRACKER_DATABASE_URL'
    case 'PROCESS_TRACKER_CONFIG':
      return `env PROCESS_TRACKER_CONFIG (ini file at ${configFile ?? '?'})`
    case 'home config':
      return `the home ini file at ${configFile ?? '?'}`
    case 'PROCESS_TRACKER_DATA_STORE_*':
      return 'env PROCESS_TRACKER_DATA_STORE_*'
    default:
      return 'the default (SQLite in ~/.process_tracker)'
  }
}

/** The store's URL with its password masked, and the schema when one was chosen. */
export function maskedStore(store: DataStore): string {
  const { url, schema } = store.connection
  return `${redactUrl(url)}${schema === undefined ? '' : ` (schema ${schema})`}`
}

/**
 * A pino logger that writes one readable line per record on stderr instead of JSON. The errors a run
 * records (`raiseRunError` logs them) are skipped unless `--debug`: the command reports those itself.
 */
export function cliLogger(output: Output, debug: boolean): Logger {
  const stream = {
    write(line: string): void {
      let record: Record<string, unknown>
      try {
        record = JSON.parse(line) as Record<string, unknown>
      } catch {
        output.diagnostic(line.trimEnd())
        return
      }
      if (!debug && 'errorType' in record) return
      const level = typeof record.level === 'number' ? (pino.levels.labels[record.level] ?? 'log') : 'log'
      const err = record.err as { message?: unknown } | undefined
      const cause = typeof err?.message === 'string' ? `: ${err.message}` : ''
      output.diagnostic(`processtracker ${level}: ${typeof record.msg === 'string' ? record.msg : ''}${cause}`)
    },
  }
  return pino({ level: debug ? 'debug' : 'warn', base: null, redact: ['password', '*.password'] }, stream)
}

/** Builds a context; the store options come from the global options and the environment. */
export function createContext(globals: GlobalOptions, output: Output, streams: OutputStreams): CliContext {
  const { env } = streams
  return {
    globals,
    output,
    env,
    streams,
    openStore: async (extra = {}) => {
      const store = await DataStore.open({
        url: globals.url,
        configLocation: globals.config,
        schema: globals.schema,
        env,
        // The home folder of the environment the command was given, as os.homedir() reads it from the
        // process's own: the same store for the binary, and an injectable one for in-process callers.
        ...(env.HOME === undefined || env.HOME === '' ? {} : { homeDir: env.HOME }),
        logger: cliLogger(output, globals.debug === true),
        ...extra,
      })
      // cli.md: --debug prints the resolution for every command, so "which store?" is never a guess.
      if (globals.debug === true) {
        output.diagnostic(`processtracker debug: store ${maskedStore(store)} (${store.dialect}), chosen by ${describeSource(store)}`)
      }
      return store
    },
  }
}

/**
 * Opens the store, runs `work`, and always closes the store (its pool would keep Node alive). An
 * unknown name in the error gets its "did you mean …?" while the store is still open.
 */
export async function withStore<T>(context: CliContext, work: (store: DataStore) => Promise<T>, extra?: Partial<OpenOptions>): Promise<T> {
  const remote = remoteTarget(context)
  if (remote) return work(new RemoteStore(remote).asDataStore())
  const store = await context.openStore(extra)
  try {
    return await work(store)
  } catch (error) {
    await addSuggestion(store, error)
    throw error
  } finally {
    await store.close()
  }
}

/** {@link withStore} for the reading commands: nothing is created or migrated ({@link READ_ONLY}). */
export function withReadStore<T>(context: CliContext, work: (store: DataStore) => Promise<T>): Promise<T> {
  return withStore(context, work, READ_ONLY)
}

/**
 * The environment a child of `run` gets so it reaches the store the wrapper used: `--url` as
 * PROCESS_TRACKER_DATABASE_URL, `--config` as PROCESS_TRACKER_CONFIG (absolute, since the child may
 * change folder), the schema as PROCESS_TRACKER_SCHEMA. Without those options the child inherits the
 * wrapper's environment and home folder, so it resolves the same store by the same rules.
 */
export function storeEnvironment(globals: GlobalOptions, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const childEnv: NodeJS.ProcessEnv = { ...env }
  if (globals.config !== undefined) {
    childEnv.PROCESS_TRACKER_CONFIG = globals.config.startsWith('s3://') ? globals.config : path.resolve(globals.config)
    // --config beat the env URL in the wrapper; in the child the env URL would beat the env config.
    if (globals.url === undefined) delete childEnv.PROCESS_TRACKER_DATABASE_URL
  }
  if (globals.url !== undefined) childEnv.PROCESS_TRACKER_DATABASE_URL = absoluteSqliteUrl(globals.url)
  if (globals.schema !== undefined) childEnv[SCHEMA_ENV] = globals.schema
  return childEnv
}

/** `sqlite:relative.db` made absolute, so a child that changes folder still finds the same file. */
function absoluteSqliteUrl(url: string): string {
  const match = /^sqlite:(.*)$/is.exec(url.trim())
  const file = match?.[1]
  if (file === undefined || file === '' || file === ':memory:' || file.startsWith('//') || path.isAbsolute(file)) return url
  return `sqlite:${path.resolve(file)}`
}
