import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VERSION } from '../../src/index.ts'
import { cleanEnv, cli, stackLines, tempHome, type CliResult } from './cli.ts'
import { runInProcess } from './in-process.ts'

/** The commands that must work on a machine with no data store at all. */
describe('processtracker without a database', () => {
  let home: ReturnType<typeof tempHome>
  let env: NodeJS.ProcessEnv

  beforeAll(() => {
    home = tempHome()
    env = cleanEnv(home.path)
  })
  afterAll(() => {
    home.dispose()
  })

  /** In-process through the program's entry; the last test runs the binary itself. */
  const pt = (args: string[], environment = env): Promise<CliResult> => runInProcess(args, { env: environment })

  const noStoreCreated = () => {
    expect(existsSync(join(home.path, '.process_tracker'))).toBe(false)
    expect(readdirSync(home.path)).toEqual([])
  }

  it('--help prints usage, every command and examples on stdout, exit 0', async () => {
    const result = await pt(['--help'])
    expect(result.code).toBe(0)
    for (const command of [
      'setup',
      'create',
      'update',
      'delete',
      'encrypt',
      'run',
      'report',
      'runs',
      'why',
      'reap',
      'fail',
      'demo',
      'info',
      'processes',
      'show',
      'graph',
      'release',
      'apply',
      'extracts',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'))
    }
    expect(result.stdout).toContain('Examples:')
    expect(result.stderr).toBe('')
    noStoreCreated()
  })

  it('help of a command teaches with examples', async () => {
    for (const args of [
      ['run', '--help'],
      ['help', 'create'],
      ['setup', '-h'],
    ]) {
      const result = await pt(args)
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('Example')
    }
    noStoreCreated()
  })

  it('--version prints the package version on stdout', async () => {
    const result = await pt(['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe(VERSION)
    noStoreCreated()
  })

  it('encrypt prints exactly the Python lines: the value on stdout, the two others on stderr', async () => {
    const result = await pt(['encrypt', '-p', 'MySecretPassword'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('Encrypted password is now: Encrypted wqfCvsKKwpzCrsOYw4rCvsKBwrHCrMOawr_DlcOZwro=\n')
    expect(result.stderr).toBe(
      "Attempting to encrypt the provided password.\nWhen storing in your config file, please be sure to include 'Encrypted ' as well as the hash.\n",
    )
    const long = await pt(['encrypt', '--password', 'MySecretPassword'])
    expect(long.stdout).toBe(result.stdout)
    noStoreCreated()
  })

  it('encrypt --quiet leaves only the value; --json gives it as JSON', async () => {
    const quiet = await pt(['--quiet', 'encrypt', '-p', 'MySecretPassword'])
    expect(quiet.stderr).toBe('')
    expect(quiet.stdout).toContain('Encrypted password is now: Encrypted ')
    const json = await pt(['--json', 'encrypt', '-p', 'MySecretPassword'])
    expect(JSON.parse(json.stdout)).toEqual({ encrypted: 'Encrypted wqfCvsKKwpzCrsOYw4rCvsKBwrHCrMOawr_DlcOZwro=' })
    noStoreCreated()
  })

  it('usage errors exit 2 with one clear line and no stack: missing option, unknown command, unknown option', async () => {
    for (const args of [['encrypt'], ['frobnicate'], ['runs', '--bogus'], ['create', '-n', 'x'], ['setup', '-o', 'maybe']]) {
      const result = await pt(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr).toMatch(/^Error: /)
      expect(stackLines(result.stderr)).toEqual([])
      expect(result.stdout).toBe('')
    }
    noStoreCreated()
  })

  it('no command at all shows the help and is a usage error', async () => {
    const result = await pt([])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Usage: processtracker')
  })

  it('a bad --url is exit 1, one line, no stack trace, no password; --debug adds the stack', async () => {
    const result = await pt(['--url', 'oracle://scott:tiger@db/orcl', 'runs'])
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^Error: .*not supported/)
    expect(result.stderr).not.toContain('tiger')
    expect(stackLines(result.stderr)).toEqual([])
    const debug = await pt(['--debug', '--url', 'oracle://scott:tiger@db/orcl', 'runs'])
    expect(debug.code).toBe(1)
    expect(stackLines(debug.stderr).length).toBeGreaterThan(0)
    expect(debug.stderr).not.toContain('tiger')
    noStoreCreated()
  })

  it('an unreachable server never prints its password', async () => {
    const result = await pt(['--url', 'postgres://pt:s3cretpw@127.0.0.1:1/none', 'runs'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^Error: /)
    expect(result.stderr).not.toContain('s3cretpw')
    expect(stackLines(result.stderr)).toEqual([])
  })

  it('without --url or config, commands use the default SQLite store under HOME; reading never creates it', async () => {
    const own = tempHome()
    try {
      const read = await pt(['runs'], cleanEnv(own.path))
      expect(read.code).toBe(1)
      expect(read.stderr).toContain('processtracker setup')
      expect(readdirSync(own.path)).toEqual([])
      expect((await pt(['setup'], cleanEnv(own.path))).code).toBe(0)
      const result = await pt(['runs'], cleanEnv(own.path))
      expect(result.code).toBe(0)
      expect(existsSync(join(own.path, '.process_tracker', 'process_tracker.db'))).toBe(true)
    } finally {
      own.dispose()
    }
  })

  it('the built binary: --version, a usage error and a bad --url keep their exit codes and output', async () => {
    const version = await cli(['--version'], env)
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toBe(VERSION)
    const usage = await cli(['runs', '--bogus'], env)
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/^Error: /)
    expect(usage.stdout).toBe('')
    const bad = await cli(['--url', 'oracle://scott:tiger@db/orcl', 'runs'], env)
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).not.toContain('tiger')
    expect(stackLines(bad.stderr)).toEqual([])
    noStoreCreated()
  })
})
