/**
 * Where each setting in force came from, for `processtracker info`: the CLI passes no setting option,
 * so a value comes from its env variable, else the ini file that was read, else the default — the
 * same order `DataStore.open` applies (api.md "Other settings").
 */
import { readFile } from 'node:fs/promises'
import { getDefault, parseIni, type IniDocument } from '../config/ini.ts'
import { DEFAULT_LOG_LEVEL, DEFAULT_MAX_CONCURRENT_FAILURES, envName } from '../config/settings.ts'
import { readS3Object, type DataStore } from '../index.ts'
import { contextOf } from '../store/context.ts'

/** A setting's value and where it came from. */
export interface SettingSource {
  value: string
  source: string
}

/** The settings `info` shows, by their ini key. */
export type SettingSources = Record<'max_concurrent_failures' | 'log_level', SettingSource>

async function readIni(location: string): Promise<IniDocument | null> {
  try {
    return parseIni(location.startsWith('s3://') ? await readS3Object(location) : await readFile(location, 'utf8'), location)
  } catch {
    // open() read it a moment ago; if it is gone now, the file simply cannot be named as the source.
    return null
  }
}

/** The settings in force and their sources; `maxConcurrentFailures` is what the store was opened with. */
export async function settingSources(store: DataStore, env: NodeJS.ProcessEnv): Promise<SettingSources> {
  const file = store.connection.configFile
  const doc = file === null ? null : await readIni(file)
  const pick = (key: keyof SettingSources, fallback: string): SettingSource => {
    const fromEnv = env[envName(key)]
    if (fromEnv !== undefined && fromEnv.trim() !== '') return { value: fromEnv, source: `env ${envName(key)}` }
    const fromFile = doc === null ? undefined : getDefault(doc, key)
    // configparser's rules as settings.ts reads them: no value or the literal None means unset.
    if (typeof fromFile === 'string' && fromFile !== '' && fromFile !== 'None') return { value: fromFile, source: `ini file ${file ?? ''}` }
    return { value: fallback, source: 'default' }
  }
  const failures = pick('max_concurrent_failures', String(DEFAULT_MAX_CONCURRENT_FAILURES))
  return {
    // The number in force, as the store parsed it (the text above may carry spaces).
    max_concurrent_failures: { ...failures, value: String(contextOf(store).maxConcurrentFailures) },
    log_level: pick('log_level', DEFAULT_LOG_LEVEL),
  }
}
