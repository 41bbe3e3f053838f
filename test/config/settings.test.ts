import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.ts'
import { formatDatabaseUrl, parseDatabaseUrl } from '../../src/config/connection-spec.ts'
import { encryptPassword } from '../../src/config/password.ts'
import { resolveSettings, type SettingsOptions } from '../../src/config/settings.ts'

// Every test uses its own temp folders and an explicit env and home; never the real ones.
const created: string[] = []
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pt-settings-'))
  created.push(dir)
  return dir
}

function writeFile(file: string, text: string): string {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, text)
  return file
}

/** A home folder, with `.process_tracker/process_tracker_config.ini` when `ini` is given. */
function home(ini?: string): string {
  const dir = tempDir()
  if (ini !== undefined) writeFile(path.join(dir, '.process_tracker', 'process_tracker_config.ini'), ini)
  return dir
}

function pgIni(host: string, extra = ''): string {
  return (
    '[DEFAULT]\ndata_store_type = postgresql\ndata_store_username = pt\ndata_store_password = pw\n' +
    `data_store_host = ${host}\ndata_store_port = 5432\ndata_store_name = process_tracker\n${extra}`
  )
}

async function rejection(options: SettingsOptions, env: NodeJS.ProcessEnv, homeDir: string): Promise<ConfigError> {
  try {
    await resolveSettings(options, env, homeDir)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected resolveSettings to throw a ConfigError')
}

describe('resolveSettings: where the connection comes from', () => {
  it('falls back to SQLite in <home>/.process_tracker, creating the folder', async () => {
    const homeDir = home()
    const settings = await resolveSettings({}, {}, homeDir)
    expect(settings).toEqual({
      connection: { dialect: 'sqlite', filename: path.join(homeDir, '.process_tracker', 'process_tracker.db') },
      connectionSource: 'default',
      configFile: null,
      maxConcurrentFailures: 5,
      logLevel: 'ERROR',
    })
    expect(statSync(path.join(homeDir, '.process_tracker')).isDirectory()).toBe(true)
    expect(existsSync(path.join(homeDir, '.process_tracker', 'process_tracker_config.ini'))).toBe(false)
  })

  it('uses the home config when it exists (beats the default)', async () => {
    const homeDir = home(pgIni('home-db'))
    const settings = await resolveSettings({}, {}, homeDir)
    expect(settings.connectionSource).toBe('home config')
    expect(settings.configFile).toBe(path.join(homeDir, '.process_tracker', 'process_tracker_config.ini'))
    expect(settings.connection).toEqual({
      dialect: 'postgresql',
      host: 'home-db',
      port: 5432,
      user: 'pt',
      password: 'pw',
      database: 'process_tracker',
      params: {},
    })
  })

  it('keeps the default connection when the home config sets no data_store_* key, but reads its other settings', async () => {
    const homeDir = home('[DEFAULT]\nlog_level = info\ndata_store_type = None\ndata_store_host = None\n')
    const settings = await resolveSettings({}, {}, homeDir)
    expect(settings.connectionSource).toBe('default')
    expect(settings.connection).toEqual({ dialect: 'sqlite', filename: path.join(homeDir, '.process_tracker', 'process_tracker.db') })
    expect(settings.logLevel).toBe('INFO')
  })

  it('PROCESS_TRACKER_CONFIG (a file) beats the home config', async () => {
    const homeDir = home(pgIni('home-db'))
    const file = writeFile(path.join(tempDir(), 'custom.ini'), pgIni('env-config-db'))
    const settings = await resolveSettings({}, { PROCESS_TRACKER_CONFIG: file }, homeDir)
    expect(settings.connectionSource).toBe('PROCESS_TRACKER_CONFIG')
    expect(settings.configFile).toBe(file)
    expect(settings.connection).toMatchObject({ host: 'env-config-db' })
  })

  it('PROCESS_TRACKER_CONFIG may name a folder holding process_tracker_config.ini', async () => {
    const folder = tempDir()
    const file = writeFile(path.join(folder, 'process_tracker_config.ini'), pgIni('folder-db'))
    const settings = await resolveSettings({}, { PROCESS_TRACKER_CONFIG: folder }, home())
    expect(settings.configFile).toBe(file)
    expect(settings.connection).toMatchObject({ host: 'folder-db' })
  })

  it('PROCESS_TRACKER_DATABASE_URL beats PROCESS_TRACKER_CONFIG, whose file still supplies the other settings', async () => {
    const file = writeFile(path.join(tempDir(), 'pt.ini'), pgIni('env-config-db', 'max_concurrent_failures = 2\nlog_level = WARNING\n'))
    const env = { PROCESS_TRACKER_CONFIG: file, PROCESS_TRACKER_DATABASE_URL: 'mysql://root:r00t@env-url-db/test' }
    const settings = await resolveSettings({}, env, home(pgIni('home-db')))
    expect(settings.connectionSource).toBe('PROCESS_TRACKER_DATABASE_URL')
    expect(settings.connection).toMatchObject({ dialect: 'mysql', host: 'env-url-db', password: 'r00t' })
    expect(settings.configFile).toBe(file)
    expect(settings.maxConcurrentFailures).toBe(2)
    expect(settings.logLevel).toBe('WARNING')
  })

  it('PROCESS_TRACKER_DATABASE_URL beats the home config, whose file still supplies the other settings', async () => {
    const homeDir = home('[DEFAULT]\nmax_concurrent_failures = 9\n')
    const settings = await resolveSettings({}, { PROCESS_TRACKER_DATABASE_URL: 'sqlite::memory:' }, homeDir)
    expect(settings.connection).toEqual({ dialect: 'sqlite', filename: ':memory:' })
    expect(settings.maxConcurrentFailures).toBe(9)
  })

  it('the configLocation option beats PROCESS_TRACKER_DATABASE_URL and PROCESS_TRACKER_CONFIG', async () => {
    const option = writeFile(path.join(tempDir(), 'option.ini'), pgIni('option-db'))
    const envFile = writeFile(path.join(tempDir(), 'env.ini'), pgIni('env-config-db'))
    const env = { PROCESS_TRACKER_CONFIG: envFile, PROCESS_TRACKER_DATABASE_URL: 'postgres://u@env-url-db/x' }
    const settings = await resolveSettings({ configLocation: option }, env, home())
    expect(settings.connectionSource).toBe('configLocation')
    expect(settings.configFile).toBe(option)
    expect(settings.connection).toMatchObject({ host: 'option-db' })
  })

  it('the url option beats configLocation, whose file still supplies the other settings', async () => {
    const option = writeFile(path.join(tempDir(), 'option.ini'), pgIni('option-db', 'max_concurrent_failures = 0\n'))
    const settings = await resolveSettings(
      { url: 'postgres://pt:secret@url-db:5433/pt', configLocation: option },
      { PROCESS_TRACKER_DATABASE_URL: 'postgres://u@env-url-db/x' },
      home(),
    )
    expect(settings.connectionSource).toBe('url')
    expect(settings.connection).toMatchObject({ host: 'url-db', port: 5433, password: 'secret' })
    expect(settings.configFile).toBe(option)
    expect(settings.maxConcurrentFailures).toBe(0)
  })

  it('expands ~ in a config location to the given home folder', async () => {
    const homeDir = home()
    writeFile(path.join(homeDir, 'etc', 'pt.ini'), pgIni('tilde-db'))
    const settings = await resolveSettings({ configLocation: '~/etc/pt.ini' }, {}, homeDir)
    expect(settings.connection).toMatchObject({ host: 'tilde-db' })
  })

  it('rejects a config location that does not exist, naming it and creating nothing', async () => {
    const missing = path.join(tempDir(), 'nowhere', 'pt.ini')
    const error = await rejection({ configLocation: missing }, {}, home())
    expect(error.message).toContain(missing)
    expect(existsSync(missing)).toBe(false)
    expect(existsSync(path.dirname(missing))).toBe(false)

    const fromEnv = await rejection({}, { PROCESS_TRACKER_CONFIG: missing }, home())
    expect(fromEnv.message).toContain('PROCESS_TRACKER_CONFIG')
  })

  it('rejects a config folder without process_tracker_config.ini', async () => {
    const folder = tempDir()
    const error = await rejection({ configLocation: folder }, {}, home())
    expect(error.message).toContain(folder)
    expect(error.message).toContain('process_tracker_config.ini')
  })

  it('reports a malformed ini file with its path and line', async () => {
    const file = writeFile(path.join(tempDir(), 'bad.ini'), 'data_store_type = sqlite\n[DEFAULT]\n')
    const error = await rejection({ configLocation: file }, {}, home())
    expect(error.message).toContain(file)
    expect(error.message).toContain('line 1')
  })
})

describe('resolveSettings: data_store_* keys', () => {
  it('lets PROCESS_TRACKER_DATA_STORE_<KEY> override each ini key', async () => {
    const file = writeFile(path.join(tempDir(), 'pt.ini'), pgIni('ini-db'))
    const env = {
      PROCESS_TRACKER_DATA_STORE_TYPE: 'mysql',
      PROCESS_TRACKER_DATA_STORE_USERNAME: 'env-user',
      PROCESS_TRACKER_DATA_STORE_PASSWORD: ' env pw ',
      PROCESS_TRACKER_DATA_STORE_HOST: 'env-db',
      PROCESS_TRACKER_DATA_STORE_PORT: '3307',
      PROCESS_TRACKER_DATA_STORE_NAME: 'env_name',
    }
    const settings = await resolveSettings({ configLocation: file }, env, home())
    expect(settings.connection).toEqual({
      dialect: 'mysql',
      host: 'env-db',
      port: 3307,
      user: 'env-user',
      password: ' env pw ', // passwords keep their spaces
      database: 'env_name',
      params: {},
    })
  })

  it('ignores an empty env value but lets "None" in env unset a key', async () => {
    const homeDir = home(pgIni('ini-db'))
    const settings = await resolveSettings(
      {},
      { PROCESS_TRACKER_DATA_STORE_HOST: '', PROCESS_TRACKER_DATA_STORE_PASSWORD: 'None' },
      homeDir,
    )
    expect(settings.connection).toMatchObject({ host: 'ini-db', password: null })
  })

  it('builds the connection from env variables alone when there is no ini file', async () => {
    const env = { PROCESS_TRACKER_DATA_STORE_TYPE: 'postgres', PROCESS_TRACKER_DATA_STORE_HOST: 'h', PROCESS_TRACKER_DATA_STORE_NAME: 'n' }
    const settings = await resolveSettings({}, env, home())
    expect(settings.connectionSource).toBe('PROCESS_TRACKER_DATA_STORE_*')
    expect(settings.configFile).toBeNull()
    expect(settings.connection).toEqual({
      dialect: 'postgresql',
      host: 'h',
      port: 5432,
      user: null,
      password: null,
      database: 'n',
      params: {},
    })
  })

  it('treats the literal None, an empty value and a bare key as unset', async () => {
    const ini =
      '[DEFAULT]\ndata_store_type = mysql\ndata_store_username = None\ndata_store_password =\ndata_store_port\ndata_store_host = h\ndata_store_name = n\n'
    const settings = await resolveSettings({}, {}, home(ini))
    expect(settings.connection).toMatchObject({ user: null, password: null, port: 3306 })
  })

  it('accepts the type in any case and the postgres / mariadb aliases', async () => {
    const base = '[DEFAULT]\ndata_store_host = h\ndata_store_name = n\n'
    const pg = await resolveSettings({}, {}, home(`${base}data_store_type = PostgreSQL\n`))
    expect(pg.connection.dialect).toBe('postgresql')
    const maria = await resolveSettings({}, {}, home(`${base}data_store_type = mariadb\n`))
    expect(maria.connection.dialect).toBe('mysql')
  })

  it('decodes a password written by `encrypt`', async () => {
    const encrypted = encryptPassword('MySecretPassword')
    expect(encrypted).toBe('Encrypted wqfCvsKKwpzCrsOYw4rCvsKBwrHCrMOawr_DlcOZwro=')
    const settings = await resolveSettings(
      {},
      {},
      home(pgIni('h').replace('data_store_password = pw', `data_store_password = ${encrypted}`)),
    )
    expect(settings.connection).toMatchObject({ password: 'MySecretPassword' })
    const fromEnv = await resolveSettings({}, { PROCESS_TRACKER_DATA_STORE_PASSWORD: encrypted }, home(pgIni('h')))
    expect(fromEnv.connection).toMatchObject({ password: 'MySecretPassword' })
  })

  it('rejects a corrupt encrypted password without showing it', async () => {
    const homeDir = home(pgIni('h').replace('data_store_password = pw', 'data_store_password = Encrypted zz$secretzz'))
    const error = await rejection({}, {}, homeDir)
    expect(error.message).toContain('data_store_password')
    expect(error.message).not.toContain('secretzz')
  })

  it('reads a password with ; # = @ % / : exactly and keeps it through a URL round trip', async () => {
    const password = 'p@ss=w;rd#1%2F/:x'
    const homeDir = home(pgIni('h').replace('data_store_password = pw', `data_store_password = ${password}`))
    const settings = await resolveSettings({}, {}, homeDir)
    expect(settings.connection).toMatchObject({ password })
    expect(parseDatabaseUrl(formatDatabaseUrl(settings.connection))).toEqual(settings.connection)
  })

  it('resolves a relative SQLite path in an ini file against the file folder; :memory: stays', async () => {
    const folder = tempDir()
    const file = writeFile(path.join(folder, 'pt.ini'), '[DEFAULT]\ndata_store_type = sqlite\ndata_store_name = data/pt.db\n')
    const settings = await resolveSettings({ configLocation: file }, {}, home())
    expect(settings.connection).toEqual({ dialect: 'sqlite', filename: path.join(folder, 'data', 'pt.db') })
    const memory = await resolveSettings({ configLocation: file }, { PROCESS_TRACKER_DATA_STORE_NAME: ':memory:' }, home())
    expect(memory.connection).toEqual({ dialect: 'sqlite', filename: ':memory:' })
  })

  it('lists every missing setting and how to fix it, never the password', async () => {
    const file = writeFile(path.join(tempDir(), 'pt.ini'), '[DEFAULT]\ndata_store_type = postgresql\ndata_store_password = hunter2\n')
    const error = await rejection({ configLocation: file }, {}, home())
    expect(error.code).toBe('PT_CONFIG')
    expect(error.message).toContain('data_store_host is not set')
    expect(error.message).toContain('data_store_name is not set')
    expect(error.message).toContain(file)
    expect(error.message).toContain('PROCESS_TRACKER_DATA_STORE_HOST')
    expect(error.message).toContain('PROCESS_TRACKER_DATA_STORE_NAME')
    expect(error.message).toContain('--url')
    expect(error.message).not.toContain('hunter2')
    expect(error.details).toMatchObject({ missing: ['data_store_host', 'data_store_name'] })
  })

  it('rejects a file Python created with every key None (the type is missing)', async () => {
    const python =
      '[DEFAULT]\nlog_level = ERROR\ndata_store_type = None\ndata_store_username = None\ndata_store_password = None\n' +
      'data_store_host = None\ndata_store_port = None\ndata_store_name = None\n\n'
    const file = writeFile(path.join(tempDir(), 'process_tracker_config.ini'), python)
    const error = await rejection({ configLocation: file }, {}, home())
    expect(error.message).toContain('data_store_type is not set')
    expect(error.message).toContain('data_store_name is not set')
  })

  it('rejects env-only settings that are incomplete, naming the env variables', async () => {
    const error = await rejection({}, { PROCESS_TRACKER_DATA_STORE_TYPE: 'mysql' }, home())
    expect(error.message).toContain('PROCESS_TRACKER_DATA_STORE_HOST')
    expect(error.message).toContain('PROCESS_TRACKER_DATA_STORE_NAME')
  })

  it.each([
    ['0', 'from 1 to 65535'],
    ['65536', 'from 1 to 65535'],
    ['54x', 'from 1 to 65535'],
  ])('rejects data_store_port %s', async (port, expected) => {
    const error = await rejection({}, {}, home(pgIni('h').replace('data_store_port = 5432', `data_store_port = ${port}`)))
    expect(error.message).toContain(expected)
    expect(error.message).toContain(`"${port}"`)
  })

  it('rejects an unsupported data_store_type, naming the supported ones', async () => {
    const error = await rejection({}, {}, home(pgIni('h').replace('postgresql', 'oracle')))
    expect(error.message).toContain('must be sqlite, postgresql or mysql, not "oracle"')
  })
})

describe('resolveSettings: URLs', () => {
  it('rejects a bad url option without showing the password', async () => {
    const error = await rejection({ url: 'oracle://scott:tiger99@db/orcl' }, {}, home())
    expect(error.message).toContain('postgres://')
    expect(error.message).not.toContain('tiger99')
  })

  it('names PROCESS_TRACKER_DATABASE_URL when that URL is bad, without the password', async () => {
    const error = await rejection({}, { PROCESS_TRACKER_DATABASE_URL: 'postgres://pt:hunter2@db:99999/x' }, home())
    expect(error.message).toContain('PROCESS_TRACKER_DATABASE_URL')
    expect(error.message).toContain('pt:***@')
    expect(error.message).not.toContain('hunter2')
  })

  it('ignores the data_store_* keys of the ini file when the connection comes from a URL', async () => {
    const homeDir = home('[DEFAULT]\ndata_store_type = postgresql\n')
    const settings = await resolveSettings({ url: 'sqlite:/tmp/x.db' }, {}, homeDir)
    expect(settings.connection).toEqual({ dialect: 'sqlite', filename: '/tmp/x.db' })
    expect(settings.connectionSource).toBe('url')
  })
})

describe('resolveSettings: max_concurrent_failures and log_level', () => {
  const ini = pgIni('h', 'max_concurrent_failures = 3\nlog_level = warning\n')

  it('takes the option over env over the ini file over the default', async () => {
    const homeDir = home(ini)
    const env = { PROCESS_TRACKER_MAX_CONCURRENT_FAILURES: '7', PROCESS_TRACKER_LOG_LEVEL: 'debug' }
    expect(await resolveSettings({ maxConcurrentFailures: 1, logLevel: 'critical' }, env, homeDir)).toMatchObject({
      maxConcurrentFailures: 1,
      logLevel: 'CRITICAL',
    })
    expect(await resolveSettings({}, env, homeDir)).toMatchObject({ maxConcurrentFailures: 7, logLevel: 'DEBUG' })
    expect(await resolveSettings({}, {}, homeDir)).toMatchObject({ maxConcurrentFailures: 3, logLevel: 'WARNING' })
    expect(await resolveSettings({}, {}, home(pgIni('h')))).toMatchObject({ maxConcurrentFailures: 5, logLevel: 'ERROR' })
  })

  it('allows 0 (the failure rule off) from every source', async () => {
    expect((await resolveSettings({ maxConcurrentFailures: 0 }, {}, home(ini))).maxConcurrentFailures).toBe(0)
    expect((await resolveSettings({}, { PROCESS_TRACKER_MAX_CONCURRENT_FAILURES: '0' }, home(ini))).maxConcurrentFailures).toBe(0)
    expect((await resolveSettings({}, {}, home(pgIni('h', 'max_concurrent_failures = 0\n')))).maxConcurrentFailures).toBe(0)
  })

  it('treats None in the ini as unset', async () => {
    const settings = await resolveSettings({}, {}, home(pgIni('h', 'max_concurrent_failures = None\nlog_level = None\n')))
    expect(settings).toMatchObject({ maxConcurrentFailures: 5, logLevel: 'ERROR' })
  })

  it.each([
    [{ maxConcurrentFailures: -1 }, {}, 'maxConcurrentFailures option'],
    [{ maxConcurrentFailures: 1.5 }, {}, 'maxConcurrentFailures option'],
    [{}, { PROCESS_TRACKER_MAX_CONCURRENT_FAILURES: 'five' }, 'PROCESS_TRACKER_MAX_CONCURRENT_FAILURES'],
    [{}, { PROCESS_TRACKER_MAX_CONCURRENT_FAILURES: '-2' }, 'PROCESS_TRACKER_MAX_CONCURRENT_FAILURES'],
  ])('rejects a max_concurrent_failures that is not a non-negative integer (%j %j)', async (options, env, where) => {
    const error = await rejection(options, env, home(ini))
    expect(error.message).toContain(where)
    expect(error.message).toContain('non-negative integer')
  })

  it('rejects a bad value in the ini file, naming the file', async () => {
    const homeDir = home(pgIni('h', 'max_concurrent_failures = 2.5\n'))
    const error = await rejection({}, {}, homeDir)
    expect(error.message).toContain('process_tracker_config.ini')
    expect(error.message).toContain('"2.5"')
  })

  it('rejects an unknown log level, listing the accepted ones', async () => {
    const error = await rejection({}, { PROCESS_TRACKER_LOG_LEVEL: 'LOUD' }, home(ini))
    expect(error.message).toContain('PROCESS_TRACKER_LOG_LEVEL')
    expect(error.message).toContain('WARNING')
  })
})

describe('resolveSettings: S3 config locations', () => {
  it('reads a folder location through the injected reader, appending the file name', async () => {
    const asked: string[] = []
    const readS3Object = (url: string): Promise<string> => {
      asked.push(url)
      return Promise.resolve(pgIni('s3-db'))
    }
    const settings = await resolveSettings({ readS3Object }, { PROCESS_TRACKER_CONFIG: 's3://bucket/pt/' }, home())
    expect(asked).toEqual(['s3://bucket/pt/process_tracker_config.ini'])
    expect(settings.configFile).toBe('s3://bucket/pt/process_tracker_config.ini')
    expect(settings.connection).toMatchObject({ host: 's3-db' })

    await resolveSettings({ readS3Object, configLocation: 's3://bucket/conf/custom.ini' }, {}, home())
    expect(asked.at(-1)).toBe('s3://bucket/conf/custom.ini')
  })

  it('says an S3 reader is needed when none is given', async () => {
    const error = await rejection({ configLocation: 's3://bucket/pt' }, {}, home())
    expect(error.message).toContain('needs an S3 reader')
    expect(error.message).toContain('s3://bucket/pt/process_tracker_config.ini')
  })

  it('wraps a failing reader in a ConfigError naming the object', async () => {
    const readS3Object = (): Promise<string> => Promise.reject(new Error('NoSuchKey'))
    const error = await rejection({ configLocation: 's3://bucket/pt.ini', readS3Object }, {}, home())
    expect(error.message).toContain('s3://bucket/pt.ini')
    expect(error.message).toContain('NoSuchKey')
    expect(error.cause).toBeInstanceOf(Error)
  })
})
