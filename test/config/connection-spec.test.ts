import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.ts'
import {
  describeConnection,
  formatDatabaseUrl,
  parseDatabaseUrl,
  redactUrl,
  type ConnectionSpec,
} from '../../src/config/connection-spec.ts'

const NASTY_PASSWORD = 'p;a#s=s@w%o/r:d?&+ x'

function configError(url: string): ConfigError {
  try {
    parseDatabaseUrl(url)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error(`expected ${url} to be rejected`)
}

describe('parseDatabaseUrl', () => {
  it('reads the sqlite forms', () => {
    expect(parseDatabaseUrl('sqlite:/var/lib/pt/tracker.db')).toEqual({ dialect: 'sqlite', filename: '/var/lib/pt/tracker.db' })
    expect(parseDatabaseUrl('sqlite:data/tracker.db')).toEqual({ dialect: 'sqlite', filename: 'data/tracker.db' })
    expect(parseDatabaseUrl('sqlite:///abs/path/t.db')).toEqual({ dialect: 'sqlite', filename: '/abs/path/t.db' })
    expect(parseDatabaseUrl('sqlite://localhost/abs/my%20t.db')).toEqual({ dialect: 'sqlite', filename: '/abs/my t.db' })
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', filename: ':memory:' })
    expect(parseDatabaseUrl('  SQLITE:x.db\n')).toEqual({ dialect: 'sqlite', filename: 'x.db' })
  })

  it('reads postgres URLs with decoding, default port and query parameters', () => {
    expect(parseDatabaseUrl('postgres://pt:s%40cret@db.internal/process_tracker?sslmode=require')).toEqual({
      dialect: 'postgresql',
      host: 'db.internal',
      port: 5432,
      user: 'pt',
      password: 's@cret',
      database: 'process_tracker',
      params: { sslmode: 'require' },
    })
    expect(parseDatabaseUrl('postgresql://u@db:6543/my%20db')).toMatchObject({ port: 6543, password: null, database: 'my db' })
    // A raw space is accepted (the URL parser encodes it) and comes back as a space.
    expect(parseDatabaseUrl('postgres://pt:hunter 2@db/x')).toMatchObject({ password: 'hunter 2' })
  })

  it('reads mysql and mariadb URLs as the mysql dialect with port 3306 by default', () => {
    expect(parseDatabaseUrl('mysql://root@127.0.0.1/test')).toEqual({
      dialect: 'mysql',
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      password: null,
      database: 'test',
      params: {},
    })
    expect(parseDatabaseUrl('mariadb://root:pw@[::1]:3307/test')).toMatchObject({ dialect: 'mysql', host: '::1', port: 3307 })
  })

  it('rejects unknown schemes, listing the accepted ones without echoing the password', () => {
    const error = configError('oracle://scott:tiger99@db/orcl')
    expect(error.code).toBe('PT_CONFIG')
    expect(error.message).toContain('postgres://')
    expect(error.message).toContain('mysql://')
    expect(error.message).toContain('sqlite:')
    expect(error.message).not.toContain('tiger99')
  })

  it.each([
    ['a malformed URL', 'postgres://pt:hunter2@db:notaport/x', 'hunter2'],
    ['an unencoded # in the password', 'postgres://pt:hun#ter2@db/x', 'ter2'],
    ['an unencoded / in the password', 'mysql://root:hun/ter2@db/x', 'ter2'],
    ['a bad port after a password with a space', 'postgres://pt:hunter 2@db:bad/x', 'hunter'],
    ['a bad percent-encoding', 'postgres://pt:hunter2%zz@db/x', 'hunter2'],
    ['a missing database', 'postgres://pt:hunter2@db', 'hunter2'],
    ['port 0', 'postgres://pt:hunter2@db:0/x', 'hunter2'],
    ['a missing scheme', 'pt:hunter2@db/x', 'hunter2'],
    ['a scheme without //', 'postgres:pt:hunter2@db/x', 'hunter2'],
    ['a sqlite URL with a host', 'sqlite://relative.db', 'never-a-password'],
    ['an empty sqlite path', 'sqlite:', 'never-a-password'],
  ])('rejects %s with a ConfigError that does not contain the password', (_, url, password) => {
    const error = configError(url)
    expect(error.code).toBe('PT_CONFIG')
    expect(error.message).not.toContain(password)
    expect(JSON.stringify(error.details)).not.toContain(password)
  })
})

describe('formatDatabaseUrl', () => {
  it('round-trips a password containing ; # = @ % / : ? & + and a space', () => {
    const spec: ConnectionSpec = {
      dialect: 'postgresql',
      host: 'db',
      port: 5432,
      user: 'us:er@x',
      password: NASTY_PASSWORD,
      database: 'pt/db',
      params: { sslmode: 'require', application_name: 'a b&c' },
    }
    const url = formatDatabaseUrl(spec)
    expect(url.startsWith('postgresql://us%3Aer%40x:')).toBe(true)
    expect(parseDatabaseUrl(url)).toEqual(spec)
  })

  it('round-trips mysql with an IPv6 host and no credentials, and sqlite files', () => {
    const mysql: ConnectionSpec = { dialect: 'mysql', host: '::1', port: 3306, user: null, password: null, database: 'test', params: {} }
    expect(formatDatabaseUrl(mysql)).toBe('mysql://[::1]:3306/test')
    expect(parseDatabaseUrl(formatDatabaseUrl(mysql))).toEqual(mysql)
    for (const filename of [':memory:', '/var/pt/t.db', 'rel/t.db', '//server/share/100%.db', 'C:\\pt\\t.db']) {
      const sqlite: ConnectionSpec = { dialect: 'sqlite', filename }
      expect(parseDatabaseUrl(formatDatabaseUrl(sqlite))).toEqual(sqlite)
    }
  })
})

describe('describeConnection', () => {
  it('shows user, host, port and database but never the password or parameters', () => {
    const spec = parseDatabaseUrl('postgres://pt:hunter2@db:5432/process_tracker?password=hunter2')
    expect(describeConnection(spec)).toBe('postgresql://pt@db:5432/process_tracker')
    expect(describeConnection(parseDatabaseUrl('sqlite::memory:'))).toBe('sqlite::memory:')
    expect(describeConnection(parseDatabaseUrl('sqlite:/t.db'))).toBe('sqlite:/t.db')
  })
})

describe('redactUrl', () => {
  it('replaces every URL password in a text with ***', () => {
    expect(redactUrl('failed: postgres://pt:hunter2@db/x and mysql://root:p@ss@h/y.')).toBe(
      'failed: postgres://pt:***@db/x and mysql://root:***@h/y.',
    )
  })

  it('hides password query parameters and leaves URLs without a password alone', () => {
    expect(redactUrl('postgres://db/x?sslmode=require&password=hunter2')).toBe('postgres://db/x?sslmode=require&password=***')
    expect(redactUrl('mysql://root@h:3306/y')).toBe('mysql://root@h:3306/y')
    expect(redactUrl('postgres://db:5432/x')).toBe('postgres://db:5432/x')
  })
})
