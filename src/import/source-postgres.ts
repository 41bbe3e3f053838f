import type pg from 'pg'
import { resolveSsl, type ConnectionSpec } from '../config/connection-spec.ts'
import { postgresAdapter } from '../store/dialect/postgres-adapter.ts'
import { loadDriver } from '../store/load-driver.ts'
import { sourceError, type OpenSourceOptions, type SourceColumn, type SourceConnection, type SourceRow } from './source-connection.ts'

type ServerSpec = Extract<ConnectionSpec, { dialect: 'postgresql' | 'mysql' }>

// Timestamps stay text (the Python columns are `timestamp without time zone`, meant as UTC; a Date
// would be read in the local zone). Counts and numerics become numbers.
const TEXT_OIDS = new Set([1082, 1114, 1184])
const NUMBER_OIDS = new Set([20, 1700])

function typesFor(types: typeof pg.types) {
  return {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (TEXT_OIDS.has(oid)) return (value: string) => value
      if (NUMBER_OIDS.has(oid)) return (value: string) => Number(value)
      return (types.getTypeParser as (oid: number, format?: string) => (value: string) => unknown)(oid, format)
    },
  }
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

/** Opens a PostgreSQL source: REPEATABLE READ READ ONLY, in `fromSchema` or the search path. */
export async function openPostgresSource(spec: ServerSpec, options: OpenSourceOptions): Promise<SourceConnection> {
  const { default: pgModule } = await loadDriver('pg', () => import('pg'))
  // The URL's sslmode/ssl is honoured as for a store: a dropped sslmode=require would read in plain text.
  const ssl = resolveSsl(spec, undefined)
  const client = new pgModule.Client({
    host: spec.host,
    port: spec.port,
    user: spec.user ?? undefined,
    password: spec.password ?? undefined,
    database: spec.database,
    ssl,
    options: '-c TimeZone=UTC',
    application_name: 'processtracker import-python',
    types: typesFor(pgModule.types),
    connectionTimeoutMillis: 10_000,
  })
  // A server that goes away mid-read emits 'error' on the client; the failing query reports it.
  client.on('error', () => undefined)
  const fail = (error: unknown) => sourceError(error, spec, postgresAdapter)
  try {
    await client.connect()
    await client.query('begin isolation level repeatable read read only')
  } catch (error) {
    await client.end().catch(() => undefined)
    throw fail(error)
  }
  const run = async (text: string, params: unknown[] = []): Promise<SourceRow[]> => {
    try {
      return (await client.query<SourceRow>(text, params)).rows
    } catch (error) {
      throw fail(error)
    }
  }
  const preferred = options.fromSchema ?? 'process_tracker'
  const found = await run(
    `select s.name from (select $1::text as name, 0 as pos
       union all select name, pos from unnest(current_schemas(false)) with ordinality as p(name, pos)) s
     where exists (select 1 from information_schema.tables t where t.table_schema = s.name and t.table_name = $2)
     order by s.pos limit 1`,
    [preferred, options.probeTable],
  )
  const namespace = typeof found[0]?.name === 'string' ? found[0].name : preferred
  return {
    spec,
    adapter: postgresAdapter,
    namespace,
    async tables() {
      const rows = await run(
        `select table_name, column_name, data_type from information_schema.columns
         where table_schema = $1 order by table_name, ordinal_position`,
        [namespace],
      )
      const tables = new Map<string, SourceColumn[]>()
      for (const row of rows) {
        const name = String(row.table_name)
        const columns = tables.get(name) ?? []
        columns.push({ name: String(row.column_name), padded: row.data_type === 'character' })
        tables.set(name, columns)
      }
      return tables
    },
    table: (name) => `${quote(namespace)}.${quote(name)}`,
    column: quote,
    param: (n) => `$${n}`,
    query: run,
    async close() {
      await client.query('rollback').catch(() => undefined)
      await client.end().catch(() => undefined)
    },
  }
}
