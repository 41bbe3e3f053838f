/**
 * Works out where the data store is and the other settings, from options, environment variables and
 * the Python-compatible `process_tracker_config.ini` (see `spec/api.md`, "Opening a data store").
 *
 * Connection, first match wins: `url` option > `configLocation` option > env
 * `PROCESS_TRACKER_DATABASE_URL` > env `PROCESS_TRACKER_CONFIG` > `<home>/.process_tracker/
 * process_tracker_config.ini` > SQLite at `<home>/.process_tracker/process_tracker.db`.
 * In an ini file the `[DEFAULT]` keys `data_store_*` describe the connection and each can be
 * overridden by env `PROCESS_TRACKER_DATA_STORE_<KEY>`; the literal `None` means unset.
 *
 * `max_concurrent_failures` and `log_level`: option > env `PROCESS_TRACKER_<KEY>` > the ini file
 * (found as above, also when the connection came from a URL) > default (5, `ERROR`).
 *
 * Nothing here connects to a database, and no config file is ever created.
 *
 * @example
 * ```ts
 * const settings = await resolveSettings({ configLocation: '/etc/pt' })
 * settings.connection // { dialect: 'postgresql', host: 'db', … }
 * ```
 */
import { mkdir, readFile, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { ConfigError } from '../errors.ts'
import { DEFAULT_PORTS, parseDatabaseUrl, type ConnectionSpec } from './connection-spec.ts'
import { getDefault, parseIni, type IniDocument } from './ini.ts'
import { decryptPassword, ENCRYPTED_PREFIX } from './password.ts'

/** The config file name, in a config folder and in `<home>/.process_tracker`. */
export const CONFIG_FILE_NAME = 'process_tracker_config.ini'
/** The folder under the home directory that holds the home config and the default SQLite file. */
export const HOME_FOLDER_NAME = '.process_tracker'
/** Used when no option, env variable or ini key sets `max_concurrent_failures`. */
export const DEFAULT_MAX_CONCURRENT_FAILURES = 5
/** Used when no option, env variable or ini key sets `log_level`. */
export const DEFAULT_LOG_LEVEL = 'ERROR'
/** Accepted `log_level` values (any case): Python's logging names plus pino's `TRACE` and `SILENT`. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'WARNING', 'ERROR', 'CRITICAL', 'FATAL', 'NOTSET', 'SILENT'] as const

/** Where the connection came from. `PROCESS_TRACKER_DATA_STORE_*`: those env variables alone, with no ini file. */
export type ConnectionSource =
  | 'url'
  | 'configLocation'
  | 'PROCESS_TRACKER_DATABASE_URL'
  | 'PROCESS_TRACKER_CONFIG'
  | 'home config'
  | 'PROCESS_TRACKER_DATA_STORE_*'
  | 'default'

/** What the caller passes (the `DataStore.open` options and CLI flags). */
export interface SettingsOptions {
  /** A database URL; beats every other connection setting. */
  url?: string
  /** An ini file, or a folder holding `process_tracker_config.ini`; local or `s3://`. Must exist. */
  configLocation?: string
  /** Failed runs in a row that put a process on hold; 0 turns the rule off. */
  maxConcurrentFailures?: number
  logLevel?: string
  /** Reads an `s3://` object as text; needed only when the config location is on S3. */
  readS3Object?: (s3Url: string) => Promise<string>
  /** Create `~/.process_tracker` for the default SQLite store (default true; `mustExist` opens say false). */
  createDefaultFolder?: boolean
}

/** The settings to open a data store with. */
export interface ResolvedSettings {
  connection: ConnectionSpec
  connectionSource: ConnectionSource
  /** The ini file that was read (a path or an `s3://` URL), or `null` when none was. */
  configFile: string | null
  maxConcurrentFailures: number
  /** Upper case, one of {@link LOG_LEVELS}. */
  logLevel: string
  /** The ini file that was read, parsed, for settings resolved elsewhere (lineage's `openlineage_*`). */
  ini?: { doc: IniDocument; location: string }
}

const DATA_STORE_KEYS = [
  'data_store_type',
  'data_store_username',
  'data_store_password',
  'data_store_host',
  'data_store_port',
  'data_store_name',
] as const
type DataStoreKey = (typeof DATA_STORE_KEYS)[number]
type DataStoreValues = Partial<Record<DataStoreKey, string>>

const URL_HINT = 'or give a connection URL instead (the url option, --url, or PROCESS_TRACKER_DATABASE_URL)'

/** The env variable that overrides an ini key, e.g. `PROCESS_TRACKER_DATA_STORE_HOST`. */
export function envName(key: string): string {
  return `PROCESS_TRACKER_${key.toUpperCase()}`
}

/** The embedded default data store file, `<home>/.process_tracker/process_tracker.db`. */
export function defaultSqlitePath(homeDir: string): string {
  return path.join(homeDir, HOME_FOLDER_NAME, 'process_tracker.db')
}

/** A config file that was found and read. */
interface ConfigFile {
  /** The path or s3:// URL, for messages and `ResolvedSettings.configFile`. */
  location: string
  /** Relative SQLite paths in a local file are taken relative to its folder; `null` for S3. */
  folder: string | null
  doc: IniDocument
}

/** `None`, an empty value and a key without a value all mean "not set", as in the Python files. */
function setValue(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value.trim() === '' || value.trim() === 'None' ? undefined : value
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value.trim() === '' ? undefined : value
}

function expandHome(location: string, homeDir: string): string {
  return location === '~' || location.startsWith('~/') ? path.join(homeDir, location.slice(1)) : location
}

function errorCode(error: unknown): unknown {
  return error instanceof Error && 'code' in error ? error.code : undefined
}

async function readS3Config(location: string, label: string, readS3Object: SettingsOptions['readS3Object']): Promise<ConfigFile> {
  const withoutScheme = location.slice('s3://'.length)
  if (withoutScheme === '' || withoutScheme.startsWith('/')) {
    throw new ConfigError(`The config location ${location} (from ${label}) names no S3 bucket: write s3://BUCKET/KEY.`)
  }
  // A key ending in .ini is the file itself; anything else is a folder holding the default name.
  const file = /\.ini$/i.test(withoutScheme) ? location : `${location.replace(/\/+$/, '')}/${CONFIG_FILE_NAME}`
  if (readS3Object === undefined) {
    throw new ConfigError(
      `Reading the config from S3 (${file}, from ${label}) needs an S3 reader, and none was given. ` +
        'Pass readS3Object, or copy the file to a local path.',
    )
  }
  let text: string
  try {
    text = await readS3Object(file)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new ConfigError(`Could not read the config file ${file} (from ${label}): ${reason}`, { configFile: file }, { cause: error })
  }
  return { location: file, folder: null, doc: parseIni(text, file) }
}

async function readLocalConfig(file: string, label: string): Promise<ConfigFile> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new ConfigError(
      `Could not read the config file ${file} (from ${label}): ${String(errorCode(error) ?? error)}`,
      { configFile: file },
      { cause: error },
    )
  }
  return { location: file, folder: path.dirname(file), doc: parseIni(text, file) }
}

/** Reads a config location that was asked for explicitly; unlike Python, a missing one is an error. */
async function readConfigLocation(
  location: string,
  label: string,
  homeDir: string,
  readS3Object: SettingsOptions['readS3Object'],
): Promise<ConfigFile> {
  if (location.trim() === '') throw new ConfigError(`The config location from ${label} is empty.`)
  if (/^s3:\/\//i.test(location)) return readS3Config(location, label, readS3Object)
  const absolute = path.resolve(expandHome(location, homeDir))
  const found = await stat(absolute).catch(() => null)
  if (found === null) {
    throw new ConfigError(
      `The config location ${absolute} (from ${label}) does not exist. ` +
        `Give an existing ini file or a folder holding ${CONFIG_FILE_NAME}.`,
      { configFile: absolute },
    )
  }
  if (!found.isDirectory()) return readLocalConfig(absolute, label)
  const file = path.join(absolute, CONFIG_FILE_NAME)
  const inFolder = await stat(file).catch(() => null)
  if (inFolder === null || inFolder.isDirectory()) {
    throw new ConfigError(`The config folder ${absolute} (from ${label}) has no ${CONFIG_FILE_NAME}.`, { configFile: file })
  }
  return readLocalConfig(file, label)
}

/** The home config, or `null` when there is none (that is not an error: the default applies). */
async function readHomeConfig(homeDir: string): Promise<ConfigFile | null> {
  const file = path.join(homeDir, HOME_FOLDER_NAME, CONFIG_FILE_NAME)
  const found = await stat(file).catch(() => null)
  if (found === null || found.isDirectory()) return null
  return readLocalConfig(file, 'the home folder')
}

/** An input value for a message; only non-password values are ever shown. */
function show(value: unknown): string {
  if (typeof value === 'string') return value
  return typeof value === 'number' ? String(value) : typeof value
}

const notSet = (key: DataStoreKey) => ({ error: `${key} is not set` })
const dialectSchema = z.enum(['sqlite', 'postgresql', 'mysql'], {
  error: (issue) =>
    issue.input === undefined
      ? 'data_store_type is not set'
      : `data_store_type must be sqlite, postgresql or mysql, not "${show(issue.input)}"`,
})
const portMessage = (issue: { input: unknown }) => `data_store_port must be an integer from 1 to 65535, not "${show(issue.input)}"`
const portSchema = z
  .string()
  .trim()
  .regex(/^\+?\d+$/, { error: portMessage })
  .transform(Number)
  .pipe(z.number().int().min(1, { error: portMessage }).max(65_535, { error: portMessage }))
const sqliteSchema = z.object({ data_store_name: z.string(notSet('data_store_name')) })
const serverSchema = z.object({
  data_store_host: z.string(notSet('data_store_host')).trim(),
  data_store_name: z.string(notSet('data_store_name')),
  data_store_port: portSchema.optional(),
  data_store_username: z.string().optional(),
  data_store_password: z.string().optional(),
})
// Python's aliases and any case are accepted for the type, as for URL schemes.
const DIALECT_ALIASES = new Map([
  ['postgres', 'postgresql'],
  ['mariadb', 'mysql'],
])

function failureMessages(error: z.ZodError): string[] {
  return error.issues.map((issue) => issue.message)
}

/**
 * The connection described by `data_store_*` values (file plus env overrides), validated.
 * `file` is `null` when the values came from env alone; `fromFile` lists the keys the file supplied.
 */
function connectionFromValues(
  values: DataStoreValues,
  fromFile: Set<DataStoreKey>,
  file: ConfigFile | null,
  homeDir: string,
): ConnectionSpec {
  const problems: string[] = []
  const rawType = values.data_store_type?.trim().toLowerCase()
  const dialect = dialectSchema.safeParse(rawType === undefined ? undefined : (DIALECT_ALIASES.get(rawType) ?? rawType))
  if (!dialect.success) {
    problems.push(...failureMessages(dialect.error))
    // The type decides what else is needed; the name is needed by every type, so report it now too.
    if (values.data_store_name === undefined) problems.push('data_store_name is not set')
  }

  const type = dialect.success ? dialect.data : null
  let spec: ConnectionSpec | null = null
  if (type === 'sqlite') {
    const parsed = sqliteSchema.safeParse(values)
    if (parsed.success) {
      let filename = expandHome(parsed.data.data_store_name.trim(), homeDir)
      // A relative path in a local ini file means "next to the file", not "wherever the process runs".
      if (file?.folder != null && fromFile.has('data_store_name') && filename !== ':memory:') filename = path.resolve(file.folder, filename)
      spec = { dialect: 'sqlite', filename }
    } else problems.push(...failureMessages(parsed.error))
  } else if (type !== null) {
    const parsed = serverSchema.safeParse(values)
    if (parsed.success) {
      spec = {
        dialect: type,
        host: parsed.data.data_store_host,
        port: parsed.data.data_store_port ?? DEFAULT_PORTS[type],
        user: parsed.data.data_store_username?.trim() ?? null,
        password: decodePassword(parsed.data.data_store_password, fromFile, file),
        database: parsed.data.data_store_name.trim(),
        params: {},
      }
    } else problems.push(...failureMessages(parsed.error))
  }

  if (spec === null) {
    const missing = DATA_STORE_KEYS.filter((key) => problems.some((problem) => problem.startsWith(`${key} `)))
    const fix =
      file === null
        ? `Set ${missing.map(envName).join(', ')}, or write the keys to the [DEFAULT] section of ${path.join(homeDir, HOME_FOLDER_NAME, CONFIG_FILE_NAME)}, ${URL_HINT}.`
        : `Set ${missing.join(', ')} in the [DEFAULT] section of ${file.location}, or as env ${missing.map(envName).join(', ')}, ${URL_HINT}.`
    const where = file === null ? 'the PROCESS_TRACKER_DATA_STORE_* environment variables' : file.location
    throw new ConfigError(`The data store settings in ${where} are incomplete or invalid: ${[...new Set(problems)].join('; ')}. ${fix}`, {
      configFile: file?.location ?? null,
      missing,
    })
  }
  return spec
}

function decodePassword(password: string | undefined, fromFile: Set<DataStoreKey>, file: ConfigFile | null): string | null {
  if (password === undefined) return null
  if (!password.startsWith(ENCRYPTED_PREFIX)) return password
  try {
    return decryptPassword(password)
  } catch (error) {
    const where = fromFile.has('data_store_password') && file !== null ? file.location : envName('data_store_password')
    throw new ConfigError(
      `data_store_password in ${where} starts with "${ENCRYPTED_PREFIX}" but is not a valid encrypted password. ` +
        'Encrypt it again with `processtracker encrypt --password …`.',
      { configFile: file?.location ?? null },
      { cause: error },
    )
  }
}

/** The `data_store_*` values of a file (may be `null`) with env overrides on top. */
function dataStoreValues(file: ConfigFile | null, env: NodeJS.ProcessEnv): { values: DataStoreValues; fromFile: Set<DataStoreKey> } {
  const values: DataStoreValues = {}
  const fromFile = new Set<DataStoreKey>()
  for (const key of DATA_STORE_KEYS) {
    const raw = envValue(env, envName(key))
    if (raw !== undefined) {
      // Passwords keep their spaces; `None` unsets the key, as it would in the file.
      const value = setValue(raw)
      if (value !== undefined) values[key] = key === 'data_store_password' ? value : value.trim()
      continue
    }
    const value = file === null ? undefined : setValue(getDefault(file.doc, key))
    if (value !== undefined) {
      values[key] = value
      fromFile.add(key)
    }
  }
  return { values, fromFile }
}

function urlConnection(url: string, label: string): ConnectionSpec {
  try {
    return parseDatabaseUrl(url)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    throw new ConfigError(`${label}: ${error.message}`, error.details)
  }
}

const nonNegativeInteger = z.number().int().min(0)
const nonNegativeIntegerText = z
  .string()
  .trim()
  .regex(/^\+?\d+$/)
  .transform(Number)
  .pipe(nonNegativeInteger)
const logLevelSchema = z
  .string()
  .trim()
  .transform((level) => level.toUpperCase())
  .pipe(z.enum(LOG_LEVELS))

function maxConcurrentFailures(options: SettingsOptions, env: NodeJS.ProcessEnv, file: ConfigFile | null): number {
  const envKey = envName('max_concurrent_failures')
  const candidates: [number | string | undefined, string][] = [
    [options.maxConcurrentFailures, 'the maxConcurrentFailures option'],
    [envValue(env, envKey), envKey],
    [
      file === null ? undefined : setValue(getDefault(file.doc, 'max_concurrent_failures')),
      `max_concurrent_failures in ${file?.location ?? ''}`,
    ],
  ]
  for (const [value, label] of candidates) {
    if (value === undefined) continue
    const parsed = typeof value === 'number' ? nonNegativeInteger.safeParse(value) : nonNegativeIntegerText.safeParse(value)
    if (parsed.success) return parsed.data
    throw new ConfigError(`${label} must be a non-negative integer (0 turns the failure rule off), not "${show(value)}".`)
  }
  return DEFAULT_MAX_CONCURRENT_FAILURES
}

function logLevel(options: SettingsOptions, env: NodeJS.ProcessEnv, file: ConfigFile | null): string {
  const envKey = envName('log_level')
  const candidates: [string | undefined, string][] = [
    [options.logLevel, 'the logLevel option'],
    [envValue(env, envKey), envKey],
    [file === null ? undefined : setValue(getDefault(file.doc, 'log_level')), `log_level in ${file?.location ?? ''}`],
  ]
  for (const [value, label] of candidates) {
    if (value === undefined) continue
    const parsed = logLevelSchema.safeParse(value)
    if (parsed.success) return parsed.data
    throw new ConfigError(`${label} must be one of ${LOG_LEVELS.join(', ')}, not "${value}".`)
  }
  return DEFAULT_LOG_LEVEL
}

/**
 * Resolves the connection and settings; see the module comment for the order. When the embedded
 * default SQLite store is chosen, its folder `<home>/.process_tracker` is created.
 *
 * @param env the environment to read (tests pass their own).
 * @param homeDir where `.process_tracker` lives (tests pass a temp folder).
 * @throws ConfigError for a bad URL, a config location that does not exist, an unreadable or
 *   malformed ini file, missing or invalid settings, or an S3 location without `readS3Object`.
 *   Messages say what to fix and never contain a password.
 */
export async function resolveSettings(
  options: SettingsOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  homeDir: string = os.homedir(),
): Promise<ResolvedSettings> {
  const envUrl = envValue(env, 'PROCESS_TRACKER_DATABASE_URL')
  const envConfig = envValue(env, 'PROCESS_TRACKER_CONFIG')

  // The ini file is needed for the other settings even when the connection comes from a URL.
  let file: ConfigFile | null
  let fileSource: ConnectionSource
  if (options.configLocation !== undefined) {
    file = await readConfigLocation(options.configLocation, 'the configLocation option', homeDir, options.readS3Object)
    fileSource = 'configLocation'
  } else if (envConfig !== undefined) {
    file = await readConfigLocation(envConfig, 'PROCESS_TRACKER_CONFIG', homeDir, options.readS3Object)
    fileSource = 'PROCESS_TRACKER_CONFIG'
  } else {
    file = await readHomeConfig(homeDir)
    fileSource = 'home config'
  }

  let connection: ConnectionSpec
  let connectionSource: ConnectionSource
  if (options.url !== undefined) {
    connection = urlConnection(options.url, 'The url option')
    connectionSource = 'url'
  } else if (fileSource === 'configLocation' && file !== null) {
    const { values, fromFile } = dataStoreValues(file, env)
    connection = connectionFromValues(values, fromFile, file, homeDir)
    connectionSource = fileSource
  } else if (envUrl !== undefined) {
    connection = urlConnection(envUrl, 'PROCESS_TRACKER_DATABASE_URL')
    connectionSource = 'PROCESS_TRACKER_DATABASE_URL'
  } else {
    const { values, fromFile } = dataStoreValues(file, env)
    // A home config with no data_store_* keys at all (say only log_level) leaves the connection to
    // the default; a file named explicitly, or env values, must describe a complete data store.
    if (fileSource === 'home config' && Object.keys(values).length === 0) {
      connection = { dialect: 'sqlite', filename: defaultSqlitePath(homeDir) }
      connectionSource = 'default'
      if (options.createDefaultFolder !== false) await ensureDefaultFolder(homeDir)
    } else {
      connection = connectionFromValues(values, fromFile, file, homeDir)
      connectionSource = file === null ? 'PROCESS_TRACKER_DATA_STORE_*' : fileSource
    }
  }

  return {
    connection,
    connectionSource,
    configFile: file?.location ?? null,
    maxConcurrentFailures: maxConcurrentFailures(options, env, file),
    logLevel: logLevel(options, env, file),
    ...(file === null ? {} : { ini: { doc: file.doc, location: file.location } }),
  }
}

async function ensureDefaultFolder(homeDir: string): Promise<void> {
  const folder = path.join(homeDir, HOME_FOLDER_NAME)
  try {
    await mkdir(folder, { recursive: true })
  } catch (error) {
    throw new ConfigError(
      `Could not create ${folder} for the default SQLite data store: ${String(errorCode(error) ?? error)}`,
      { folder },
      { cause: error },
    )
  }
}
