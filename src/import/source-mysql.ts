import { resolveSsl, type ConnectionSpec } from '../config/connection-spec.ts'
import { mysqlAdapter } from '../store/dialect/mysql-adapter.ts'
import { loadDriver } from '../store/load-driver.ts'
import { sourceError, type OpenSourceOptions, type SourceColumn, type SourceConnection, type SourceRow } from './source-connection.ts'

type ServerSpec = Extract<ConnectionSpec, { dialect: 'postgresql' | 'mysql' }>

const quote = (name: string) => `\`${name.replaceAll('`', '``')}\``

/** Opens a MySQL/MariaDB source: a consistent-snapshot, read-only transaction in the URL's database. */
export async function openMysqlSource(spec: ServerSpec, _options: OpenSourceOptions): Promise<SourceConnection> {
  const { createConnection } = await loadDriver('mysql2', () => import('mysql2/promise'))
  const fail = (error: unknown) => sourceError(error, spec, mysqlAdapter)
  // The URL's ssl-mode/ssl is honoured as for a store: a dropped ssl-mode=REQUIRED would read in plain text.
  const ssl = resolveSsl(spec, undefined)
  let connection: Awaited<ReturnType<typeof createConnection>>
  try {
    connection = await createConnection({
      host: spec.host,
      port: spec.port,
      user: spec.user ?? undefined,
      password: spec.password ?? undefined,
      database: spec.database,
      ssl: typeof ssl === 'object' ? ssl : ssl ? {} : undefined,
      // Timestamps stay text: DATETIME has no zone, and the Python columns are meant as UTC.
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: true,
      charset: 'UTF8MB4_BIN',
      connectTimeout: 10_000,
    })
  } catch (error) {
    throw fail(error)
  }
  connection.on('error', () => undefined)
  const run = async (text: string, params: unknown[] = []): Promise<SourceRow[]> => {
    try {
      const [rows] = await connection.query(text, params)
      return rows as SourceRow[]
    } catch (error) {
      throw fail(error)
    }
  }
  try {
    await run("set session time_zone = '+00:00'")
    await run('set session transaction isolation level repeatable read')
    await run('start transaction with consistent snapshot, read only')
  } catch (error) {
    await connection.end().catch(() => undefined)
    throw error
  }
  return {
    spec,
    adapter: mysqlAdapter,
    namespace: spec.database,
    async tables() {
      const rows = await run(
        `select table_name as table_name, column_name as column_name from information_schema.columns
         where table_schema = database() order by table_name, ordinal_position`,
      )
      const tables = new Map<string, SourceColumn[]>()
      for (const row of rows) {
        const name = String(row.table_name)
        const columns = tables.get(name) ?? []
        // MySQL strips the padding of char(n) itself.
        columns.push({ name: String(row.column_name), padded: false })
        tables.set(name, columns)
      }
      return tables
    },
    table: quote,
    column: quote,
    param: () => '?',
    query: run,
    async close() {
      await connection.query('rollback').catch(() => undefined)
      await connection.end().catch(() => undefined)
    },
  }
}
