/**
 * Where the data store is: a dialect plus what its driver needs, parsed from or written as a URL.
 *
 * Accepted URLs:
 * - `sqlite:PATH` — the rest of the text, verbatim, is the file path (relative or absolute);
 *   `sqlite::memory:` is an in-memory database.
 * - `sqlite:///ABSOLUTE/PATH` (also `sqlite://localhost/…`) — URL form; the path is percent-decoded.
 * - `postgres://` / `postgresql://` and `mysql://` / `mariadb://`
 *   `USER:PASSWORD@HOST:PORT/DATABASE?PARAM=VALUE` — user, password and database are
 *   percent-decoded, the port defaults to 5432 / 3306, query parameters (e.g. `sslmode`) are kept.
 *
 * Passwords never appear in messages: errors show the URL through {@link redactUrl}.
 *
 * @example
 * ```ts
 * const spec = parseDatabaseUrl('postgres://pt:s%40cret@db:5432/process_tracker?sslmode=require')
 * describeConnection(spec) // 'postgresql://pt@db:5432/process_tracker'
 * ```
 */
import { ConfigError } from '../errors.ts'

/** The database families processtracker supports; MariaDB is `mysql`. */
export type Dialect = 'sqlite' | 'postgresql' | 'mysql'

/** A data store connection, before any driver is loaded. */
export type ConnectionSpec =
  | {
      dialect: 'sqlite'
      /** The database file, or `':memory:'` for an in-memory database. */
      filename: string
    }
  | {
      dialect: 'postgresql' | 'mysql'
      host: string
      port: number
      user: string | null
      password: string | null
      database: string
      /** Query parameters of the URL, passed on to the driver (e.g. `sslmode`). */
      params: Record<string, string>
    }

/** The default server port of each server dialect. */
export const DEFAULT_PORTS = { postgresql: 5432, mysql: 3306 } as const

const SERVER_SCHEMES = new Map<string, 'postgresql' | 'mysql'>([
  ['postgres', 'postgresql'],
  ['postgresql', 'postgresql'],
  ['mysql', 'mysql'],
  ['mariadb', 'mysql'],
])

const ACCEPTED =
  'Use sqlite:PATH, sqlite:///ABSOLUTE/PATH, sqlite::memory:, ' +
  'postgres://USER:PASSWORD@HOST:PORT/DATABASE (or postgresql://), or mysql://… (or mariadb://…).'
const ENCODE_HINT =
  'Percent-encode special characters in the user name, password and database (@ as %40, # as %23, / as %2F, : as %3A, ? as %3F, % as %25).'
const MEMORY = ':memory:'

function invalid(reason: string, url: string): ConfigError {
  return new ConfigError(`Invalid database URL ${redactAuthority(url)}: ${reason}`, { url: redactAuthority(url) })
}

/**
 * Hides the password of one URL even when the URL is malformed (an unencoded space, `#` or `/` in the
 * password): everything between the first `:` after `//` and the last `@` is replaced.
 */
function redactAuthority(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(url)
  const scheme = match?.[1]
  const rest = match?.[2]
  if (scheme === undefined || rest === undefined) return redactUrl(url)
  const at = rest.lastIndexOf('@')
  const colon = rest.slice(0, Math.max(at, 0)).indexOf(':')
  if (at < 0 || colon < 0) return redactUrl(url)
  return redactUrl(`${scheme}${rest.slice(0, colon)}:***${rest.slice(at)}`)
}

function decode(part: string, what: string, url: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw invalid(`the ${what} has a malformed percent-encoding. ${ENCODE_HINT}`, url)
  }
}

function parseSqliteUrl(url: string): ConnectionSpec {
  const rest = url.slice('sqlite:'.length)
  let filename: string
  if (rest.startsWith('//')) {
    // URL form: sqlite://[localhost]/path. The authority must be empty, since a file has no host.
    const afterSlashes = rest.slice(2)
    const slash = afterSlashes.indexOf('/')
    const authority = slash < 0 ? afterSlashes : afterSlashes.slice(0, slash)
    if (authority !== '' && authority.toLowerCase() !== 'localhost') {
      throw invalid(`"${authority}" is read as a host. For a relative path write sqlite:PATH, for an absolute one sqlite:///PATH.`, url)
    }
    filename = slash < 0 ? '' : decode(afterSlashes.slice(slash), 'path', url)
  } else {
    filename = rest
  }
  if (filename === '') throw invalid(`it names no database file. ${ACCEPTED}`, url)
  return { dialect: 'sqlite', filename }
}

/**
 * Reads a database URL (see the module comment for the accepted forms).
 *
 * @throws ConfigError for an unknown scheme (listing the accepted ones), a malformed URL, a missing
 *   host or database, or a bad port. The message shows the URL with its password replaced by `***`.
 */
export function parseDatabaseUrl(url: string): ConnectionSpec {
  const text = url.trim()
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    // Without a scheme the text may be anything, even a bare password, so it is not echoed.
    throw new ConfigError(`The database URL has no scheme. ${ACCEPTED}`)
  }
  if (scheme === 'sqlite') return parseSqliteUrl(text)
  const hasSlashes = text.slice(scheme.length + 1).startsWith('//')
  const dialect = SERVER_SCHEMES.get(scheme)
  if (dialect === undefined) {
    // Only a real-looking scheme is echoed: in `secret:word` the "scheme" is half a password.
    const shown = hasSlashes ? ` "${scheme}://"` : ''
    throw new ConfigError(`The database URL scheme${shown} is not supported. ${ACCEPTED}`, hasSlashes ? { scheme } : {})
  }
  if (!hasSlashes) throw new ConfigError(`The database URL must start with ${scheme}://. ${ACCEPTED}`, { scheme })

  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    // The TypeError is not kept as `cause`: Node puts the whole input, password included, on it.
    throw invalid(`it cannot be parsed. ${ENCODE_HINT}`, text)
  }
  if (parsed.hash !== '') throw invalid(`it contains "#". ${ENCODE_HINT}`, text)
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') // IPv6 literals come bracketed
  if (host === '') throw invalid('it names no host.', text)
  const port = parsed.port === '' ? DEFAULT_PORTS[dialect] : Number(parsed.port)
  if (port < 1) throw invalid('the port must be from 1 to 65535.', text)
  const path = parsed.pathname.replace(/^\//, '')
  if (path === '') throw invalid('it names no database (…/DATABASE after the host).', text)
  if (path.includes('/')) throw invalid(`the database name contains "/". ${ENCODE_HINT}`, text)
  const user = decode(parsed.username, 'user name', text)
  const password = decode(parsed.password, 'password', text)

  return {
    dialect,
    host,
    port,
    user: user === '' ? null : user,
    password: password === '' ? null : password,
    database: decode(path, 'database name', text),
    params: Object.fromEntries(parsed.searchParams),
  }
}

/**
 * Writes a spec as a URL that {@link parseDatabaseUrl} reads back to an equal spec. User, password
 * and database are percent-encoded, so any character survives. The result contains the password:
 * show it to people only through {@link redactUrl}.
 */
export function formatDatabaseUrl(spec: ConnectionSpec): string {
  if (spec.dialect === 'sqlite') {
    if (spec.filename === MEMORY) return 'sqlite::memory:'
    // A path starting with // would be read as the URL form, whose path is percent-decoded.
    return spec.filename.startsWith('//') ? `sqlite://${spec.filename.replaceAll('%', '%25')}` : `sqlite:${spec.filename}`
  }
  const user = spec.user === null ? '' : encodeURIComponent(spec.user)
  const password = spec.password === null ? '' : `:${encodeURIComponent(spec.password)}`
  const credentials = user === '' && password === '' ? '' : `${user}${password}@`
  const query = new URLSearchParams(spec.params).toString()
  return `${spec.dialect}://${credentials}${hostForUrl(spec.host)}:${spec.port}/${encodeURIComponent(spec.database)}${query === '' ? '' : `?${query}`}`
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

/**
 * A one-line description for messages and logs, e.g. `postgresql://pt@db:5432/process_tracker` or
 * `sqlite:/var/lib/pt/tracker.db`. Never contains the password or the query parameters.
 */
export function describeConnection(spec: ConnectionSpec): string {
  if (spec.dialect === 'sqlite') return spec.filename === MEMORY ? 'sqlite::memory:' : `sqlite:${spec.filename}`
  const user = spec.user === null ? '' : `${spec.user}@`
  return `${spec.dialect}://${user}${hostForUrl(spec.host)}:${spec.port}/${spec.database}`
}

/**
 * Replaces the password of every `scheme://user:password@` URL in a text with `***`, and the value
 * of any `password=` query parameter. Meant for error messages and logs that may quote a URL.
 *
 * @example
 * ```ts
 * redactUrl('connect postgres://pt:secret@db/pt failed') // 'connect postgres://pt:***@db/pt failed'
 * ```
 */
export function redactUrl(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)\S*@/gi, '$1***@') // \S* backtracks to the last @
    .replace(/([?&]password=)[^&#\s]*/gi, '$1***')
}

/** TLS options handed to the driver: off, or on with or without verifying the server's certificate. */
export type SslSetting = false | { rejectUnauthorized: boolean; checkServerIdentity?: () => undefined }

const SSL_MODES: Record<string, SslSetting> = {
  disable: false,
  disabled: false,
  require: { rejectUnauthorized: false },
  required: { rejectUnauthorized: false },
  // Verify the chain but not the host name, as libpq's verify-ca and MySQL's VERIFY_CA do.
  'verify-ca': { rejectUnauthorized: true, checkServerIdentity: () => undefined },
  verify_ca: { rejectUnauthorized: true, checkServerIdentity: () => undefined },
  'verify-full': { rejectUnauthorized: true },
  verify_identity: { rejectUnauthorized: true },
}
const SSL_FLAGS: Record<string, boolean> = { true: true, '1': true, false: false, '0': false }
const SSL_PARAMS = ['sslmode', 'ssl-mode', 'ssl']

/**
 * The TLS setting for a server connection. The `ssl` option of `DataStore.open()` wins; otherwise the
 * URL's `sslmode` / `ssl-mode` (disable, require, verify-ca, verify-full — or MySQL's DISABLED,
 * REQUIRED, VERIFY_CA, VERIFY_IDENTITY) or `ssl` (true/false) parameter. `ssl=true` verifies the
 * certificate. A parameter processtracker does not honour is refused rather than silently ignored:
 * a dropped `sslmode=require` would connect in plain text.
 *
 * @throws ConfigError for an unsupported parameter or value (e.g. `sslmode=prefer`).
 */
export function resolveSsl(
  spec: ConnectionSpec,
  explicit: boolean | Record<string, unknown> | undefined,
): boolean | Record<string, unknown> | undefined {
  if (spec.dialect === 'sqlite') return undefined
  const where = describeConnection(spec)
  const unsupported = Object.keys(spec.params).filter((name) => !SSL_PARAMS.includes(name.toLowerCase()))
  if (unsupported.length > 0) {
    throw new ConfigError(
      `The database URL for ${where} has parameters processtracker does not support: ${unsupported.join(', ')}. ` +
        'Only sslmode (or ssl-mode) and ssl are honoured; remove the others, or pass driver options through DataStore.open().',
      { connection: where, parameters: unsupported },
    )
  }
  let fromUrl: SslSetting | undefined
  for (const [name, raw] of Object.entries(spec.params)) {
    const value = raw.trim().toLowerCase()
    const setting =
      name.toLowerCase() === 'ssl'
        ? value in SSL_FLAGS
          ? SSL_FLAGS[value]
            ? { rejectUnauthorized: true }
            : false
          : undefined
        : SSL_MODES[value]
    if (setting === undefined) {
      throw new ConfigError(
        `The database URL for ${where} has ${name}=${raw}, which processtracker does not support. ` +
          'Use sslmode=disable, require, verify-ca or verify-full (MySQL: DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY), or ssl=true / ssl=false.',
        { connection: where, parameter: name, value: raw },
      )
    }
    fromUrl = setting
  }
  return explicit ?? fromUrl
}
