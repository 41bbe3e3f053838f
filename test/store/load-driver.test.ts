import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/index.ts'
import { OPTIONAL_DRIVERS, loadDriver, type OptionalDriver } from '../../src/store/load-driver.ts'

/** An import of a package that is surely not installed: what a missing peer package does. */
const importMissing = (): Promise<unknown> => import(`pt-not-installed-${Date.now()}`)

describe('optional peer drivers', () => {
  for (const name of Object.keys(OPTIONAL_DRIVERS) as OptionalDriver[]) {
    it(`a missing ${name} is a ConfigError naming the package and the command`, async () => {
      const error = await loadDriver(name, importMissing).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigError)
      expect(error).toMatchObject({
        code: 'PT_CONFIG',
        message: `${OPTIONAL_DRIVERS[name]} needs the '${name}' package: run npm install ${name}`,
        details: { package: name },
        cause: { code: 'ERR_MODULE_NOT_FOUND' },
      })
    })
  }

  it('an installed package loads as the import would', async () => {
    const pg = await loadDriver('pg', () => import('pg'))
    expect(pg).toBe(await import('pg'))
  })

  it('a package that is installed but fails to load keeps its own error', async () => {
    const broken = new SyntaxError('Unexpected token')
    await expect(loadDriver('mysql2', () => Promise.reject(broken))).rejects.toBe(broken)
  })

  it('every entry point says which package to install when it is missing; SQLite needs none of them', () => {
    // A child process in which the three packages do not resolve (a loader hook, nothing uninstalled).
    const output = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        fileURLToPath(new URL('fixtures/hide-packages.mjs', import.meta.url)),
        fileURLToPath(new URL('fixtures/optional-drivers-probe.ts', import.meta.url)),
      ],
      { env: { ...process.env, PT_HIDE_PACKAGES: 'pg,mysql2,@aws-sdk/client-s3' }, encoding: 'utf8' },
    )
    const results = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Record<string, { code?: string; message: string }>
    const missing = (name: OptionalDriver) => ({
      code: 'PT_CONFIG',
      message: `${OPTIONAL_DRIVERS[name]} needs the '${name}' package: run npm install ${name}`,
    })
    expect(results).toEqual({
      postgresStore: { name: 'ConfigError', ...missing('pg') },
      mysqlStore: { name: 'ConfigError', ...missing('mysql2') },
      postgresImport: { name: 'ConfigError', ...missing('pg') },
      mysqlImport: { name: 'ConfigError', ...missing('mysql2') },
      s3: { name: 'ConfigError', ...missing('@aws-sdk/client-s3') },
      sqliteStore: { message: 'ok' },
    })
  })
})
