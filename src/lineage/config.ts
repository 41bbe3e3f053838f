/**
 * Where OpenLineage events go (lineage.md "Turning it on"). Off unless configured. Each setting:
 * the `open()` option `lineage: { … }` > env (the OpenLineage clients' own names) > the ini file's
 * `openlineage_*` keys > default — the precedence of every other setting.
 */
import { ConfigError } from '../errors.ts'
import { getDefault, type IniDocument } from '../config/ini.ts'
import { decryptPassword, ENCRYPTED_PREFIX } from '../config/password.ts'

/** The `lineage` option of `DataStore.open` (each field overrides env and the ini file). */
export interface LineageOptions {
  /** The receiver's base URL, e.g. `http://marquez:5000` (env `OPENLINEAGE_URL`). */
  url?: string
  /** Path under `url` (env `OPENLINEAGE_ENDPOINT`; default `api/v1/lineage`). */
  endpoint?: string
  /** Sent as `Authorization: Bearer …` (env `OPENLINEAGE_API_KEY`); an `Encrypted …` value is decoded. */
  apiKey?: string
  /** The job namespace (env `OPENLINEAGE_NAMESPACE`; default `processtracker`). */
  namespace?: string
  /** `true` turns lineage off whatever else is set (env `OPENLINEAGE_DISABLED=true`). */
  disabled?: boolean
  /** `http` (default when a URL is set), `file` (default when a file is set) or `console`. */
  transport?: LineageTransportKind
  /** The JSON Lines file the `file` transport appends to. */
  file?: string
  /** Run a dispatcher inside this process while the store is open (default false). */
  dispatch?: boolean
}

export type LineageTransportKind = 'http' | 'file' | 'console'

/** A resolved transport. */
export type TransportConfig = { kind: 'http'; url: string; apiKey: string | null } | { kind: 'file'; file: string } | { kind: 'console' }

/** Lineage settings after resolution; `null` from {@link resolveLineage} means off. */
export interface LineageConfig {
  namespace: string
  transport: TransportConfig
  dispatch: boolean
}

export const DEFAULT_ENDPOINT = 'api/v1/lineage'
export const DEFAULT_NAMESPACE = 'processtracker'

type Key = 'url' | 'endpoint' | 'api_key' | 'namespace' | 'disabled' | 'transport' | 'file'
const ENV: Partial<Record<Key, string>> = {
  url: 'OPENLINEAGE_URL',
  endpoint: 'OPENLINEAGE_ENDPOINT',
  api_key: 'OPENLINEAGE_API_KEY',
  namespace: 'OPENLINEAGE_NAMESPACE',
  disabled: 'OPENLINEAGE_DISABLED',
}
const OPTION: Record<Key, keyof LineageOptions> = {
  url: 'url',
  endpoint: 'endpoint',
  api_key: 'apiKey',
  namespace: 'namespace',
  disabled: 'disabled',
  transport: 'transport',
  file: 'file',
}

/** One setting's value and where it came from (for messages). */
interface Found {
  value: string
  from: string
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value.trim() === '' || value.trim() === 'None' ? undefined : value.trim()
}

/**
 * Resolves the lineage settings, or `null` when lineage is off (nothing configured, or disabled).
 *
 * @throws ConfigError for an unknown transport, a transport without its URL or file, a URL that is
 *   not http(s), or an `Encrypted …` API key that does not decode. Messages never show the key.
 */
export function resolveLineage(
  options: LineageOptions | undefined,
  env: NodeJS.ProcessEnv,
  ini: { doc: IniDocument; location: string } | null,
): LineageConfig | null {
  const opts: LineageOptions = options ?? {}
  const get = (key: Key): Found | undefined => {
    const option: unknown = opts[OPTION[key]]
    if (option !== undefined && option !== null) {
      if (typeof option === 'boolean') return { value: String(option), from: `the lineage.${OPTION[key]} option` }
      if (typeof option !== 'string') throw new ConfigError(`The lineage.${OPTION[key]} option must be a string.`)
      const value = nonEmpty(option)
      if (value !== undefined) return { value, from: `the lineage.${OPTION[key]} option` }
    }
    const envName = ENV[key]
    const fromEnv = envName === undefined ? undefined : nonEmpty(env[envName])
    if (fromEnv !== undefined && envName !== undefined) return { value: fromEnv, from: envName }
    const fromIni = ini === null ? undefined : nonEmpty(getDefault(ini.doc, `openlineage_${key}`))
    if (fromIni !== undefined && ini !== null) return { value: fromIni, from: `openlineage_${key} in ${ini.location}` }
    return undefined
  }
  if (opts.dispatch !== undefined && typeof opts.dispatch !== 'boolean')
    throw new ConfigError('The lineage.dispatch option must be true or false.')
  const disabled = get('disabled')
  if (disabled && /^(true|1|yes|on)$/i.test(disabled.value)) return null

  const url = get('url')
  const file = get('file')
  const transport = get('transport')
  let kind: string | undefined = transport?.value.toLowerCase()
  if (kind === undefined) kind = url ? 'http' : file ? 'file' : undefined
  if (kind === undefined) return null

  let resolved: TransportConfig
  if (kind === 'http') {
    if (!url) throw new ConfigError('The http lineage transport needs a receiver URL: set OPENLINEAGE_URL, openlineage_url or lineage.url.')
    resolved = { kind: 'http', url: joinEndpoint(url, get('endpoint')?.value ?? DEFAULT_ENDPOINT), apiKey: apiKey(get('api_key')) }
  } else if (kind === 'file') {
    if (!file) throw new ConfigError('The file lineage transport needs a file: set openlineage_file or lineage.file.')
    resolved = { kind: 'file', file: file.value }
  } else if (kind === 'console') {
    resolved = { kind: 'console' }
  } else {
    throw new ConfigError(`${transport?.from ?? 'The lineage transport'} must be http, file or console, not "${kind}".`)
  }
  return { namespace: get('namespace')?.value ?? DEFAULT_NAMESPACE, transport: resolved, dispatch: opts.dispatch ?? false }
}

/** The receiver's URL: base URL and endpoint joined with one slash. */
function joinEndpoint(base: Found, endpoint: string): string {
  let parsed: URL
  try {
    parsed = new URL(base.value)
  } catch {
    throw new ConfigError(`${base.from} is not a URL: give the receiver's base URL, like http://marquez:5000.`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${base.from} must be an http:// or https:// URL.`)
  }
  return `${base.value.replace(/\/+$/, '')}/${endpoint.replace(/^\/+/, '')}`
}

function apiKey(found: Found | undefined): string | null {
  if (!found) return null
  if (!found.value.startsWith(ENCRYPTED_PREFIX)) return found.value
  try {
    return decryptPassword(found.value)
  } catch (error) {
    throw new ConfigError(
      `${found.from} starts with "${ENCRYPTED_PREFIX}" but does not decode: encrypt it again with \`processtracker encrypt\`.`,
      {},
      { cause: error },
    )
  }
}
