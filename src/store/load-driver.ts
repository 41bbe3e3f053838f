import { ConfigError } from '../errors.ts'

/**
 * The optional peer packages processtracker imports on first use, and what needs each one. They are
 * not installed with processtracker: a program installs the one its database or storage needs.
 * (`better-sqlite3`, the embedded default, is a plain dependency.)
 */
export const OPTIONAL_DRIVERS = {
  pg: 'PostgreSQL',
  mysql2: 'MySQL and MariaDB',
  '@aws-sdk/client-s3': 'S3 locations',
} as const

/** The name of an optional peer package. */
export type OptionalDriver = keyof typeof OPTIONAL_DRIVERS

/**
 * Imports an optional peer package through `load` (an `import()` of it, or of one of its entry
 * points, so that the caller keeps the module's types). When the package is not installed, the
 * error is a `ConfigError` (`PT_CONFIG`) that names the package and the command that installs it,
 * instead of Node's bare `ERR_MODULE_NOT_FOUND`; any other failure is passed on as it is.
 *
 * @example
 * ```ts
 * const { default: pgModule } = await loadDriver('pg', () => import('pg'))
 * // without pg: ConfigError "PostgreSQL needs the 'pg' package: run npm install pg"
 * ```
 * @throws ConfigError when the package is missing.
 */
export async function loadDriver<M>(name: OptionalDriver, load: () => Promise<M>): Promise<M> {
  try {
    return await load()
  } catch (error) {
    if (!isModuleNotFound(error)) throw error
    throw new ConfigError(
      `${OPTIONAL_DRIVERS[name]} needs the '${name}' package: run npm install ${name}`,
      { package: name },
      { cause: error },
    )
  }
}

/** Node's error for an import that resolves to no installed module (ESM and CommonJS spellings). */
function isModuleNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false
  return error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND'
}
