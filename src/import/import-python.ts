/**
 * `importPythonDatabase`: brings a Python ProcessTracker database over into a processtracker store,
 * ids kept, in one transaction, with what the Python implementation got wrong mended and reported.
 */
import { describeConnection, redactUrl } from '../config/connection-spec.ts'
import { ConfigError, ProcessTrackerError, ValidationError } from '../errors.ts'
import { contextOf, type StatusCategory } from '../store/context.ts'
import type { DataStore } from '../api/data-store.ts'
import type { Db } from '../store/dialect/adapter.ts'
import type { TableSpec } from '../store/migrations/table-spec.ts'
import { PROCESS_STATUS_CATEGORIES } from '../store/migrations/seeds.ts'
import { sha256Hex } from '../extract/sha256.ts'
import { uuidv7At } from '../store/uuid7.ts'
import { ADDED_TABLES, expectedColumns, readTable, type SentinelLog } from './copy-table.ts'
import type { ImportMend, ImportReport, ImportTableCount } from './report.ts'
import { planRuns, type RunPlan } from './run-plan.ts'
import { openSource, type SourceColumn, type SourceConnection } from './source.ts'
import { IMPORTED_TABLES, allowExplicitZeroIds, assertTargetEmpty, clearDefaults, finishTarget, insertRows } from './target.ts'
import { readTimestamp } from './values.ts'

/** The categories a process status can have. */
export const STATUS_CATEGORIES: readonly StatusCategory[] = ['active', 'succeeded', 'failed', 'held', 'released']

/** How far an import has got; handed to `onProgress` after every batch. */
export interface ImportProgress {
  table: string
  /** Rows of `table` read so far. */
  rowsRead: number
  /** Rows `table` holds in the source snapshot. */
  rowsTotal: number
}

/** Options of {@link importPythonDatabase}. */
export interface ImportPythonOptions {
  /** The Python ProcessTracker database: `postgres://…` or `mysql://…`. */
  from: string
  /** PostgreSQL schema holding the Python tables (default `process_tracker`, then the search path). */
  fromSchema?: string
  /** Read, check and report, writing nothing. */
  dryRun?: boolean
  /** Category of a custom process status by name (default `succeeded`, how Python treated them). */
  statusCategories?: Readonly<Record<string, StatusCategory>>
  /** Called after every batch read; awaited. */
  onProgress?: (progress: ImportProgress) => void | Promise<void>
}

/** Where the extract status history goes. */
const HISTORY_TABLE: TableSpec = (() => {
  const table = IMPORTED_TABLES.find((spec) => spec.name === 'extract_status_history')
  if (!table) throw new Error('the schema has no extract_status_history table')
  return table
})()

/** The error description of a second active run imported as failed. */
export const SECOND_ACTIVE_RUN_ERROR = 'Imported from Python ProcessTracker: a second active run of this process.'

/**
 * Imports a Python ProcessTracker (0.9) database into `store`, which must hold no runs and no
 * processes. The source is read in one read-only snapshot and never written; the target is written
 * in one transaction (nothing at all on failure), keeping every id.
 *
 * @example
 * ```ts
 * const report = await importPythonDatabase(store, { from: 'postgres://pt@old-db/process_tracker' })
 * for (const mend of report.mends) console.log(mend.kind, mend.ids)
 * ```
 * @throws ConfigError when the source is not a Python ProcessTracker schema, the target already
 *   holds runs, or an option is wrong; DatabaseUnavailableError when a database cannot be reached
 *   or goes away midway.
 */
export async function importPythonDatabase(store: DataStore, options: ImportPythonOptions): Promise<ImportReport> {
  const overrides = checkOptions(options)
  const source = await openSource(options.from, { fromSchema: options.fromSchema, probeTable: 'process_tracking' })
  try {
    const catalog = await source.tables()
    assertPythonSchema(source, catalog)
    const run = new ImportRun(store, source, catalog, options)
    await run.prepare(overrides)
    const report = await run.execute()
    return report
  } finally {
    await source.close()
  }
}

function checkOptions(options: ImportPythonOptions): Map<string, StatusCategory> {
  if (typeof options.from !== 'string' || options.from.trim() === '') {
    throw new ValidationError('from must be the URL of the Python ProcessTracker database (postgres://… or mysql://…).', { field: 'from' })
  }
  const overrides = new Map<string, StatusCategory>()
  for (const [name, category] of Object.entries(options.statusCategories ?? {})) {
    if (!STATUS_CATEGORIES.includes(category)) {
      throw new ConfigError(`The status category "${String(category)}" for "${name}" is not one of ${STATUS_CATEGORIES.join(', ')}.`)
    }
    if (name in PROCESS_STATUS_CATEGORIES) {
      throw new ConfigError(`"${name}" is a standard process status; its category is fixed. --status-category is for custom statuses.`)
    }
    overrides.set(name, category)
  }
  return overrides
}

function assertPythonSchema(source: SourceConnection, catalog: Map<string, SourceColumn[]>): void {
  const missingTables: string[] = []
  const missingColumns: string[] = []
  for (const table of IMPORTED_TABLES) {
    if (ADDED_TABLES.includes(table.name)) continue
    const columns = catalog.get(table.name)
    if (!columns) {
      missingTables.push(table.name)
      continue
    }
    const names = new Set(columns.map((column) => column.name))
    for (const column of expectedColumns(table)) if (!names.has(column)) missingColumns.push(`${table.name}.${column}`)
  }
  if (missingTables.length === 0 && missingColumns.length === 0) return
  const where = `${describeConnection(source.spec)} (${source.spec.dialect === 'postgresql' ? `schema ${source.namespace}, then the search path` : `database ${source.namespace}`})`
  const parts = [
    missingTables.length > 0 ? `missing tables: ${missingTables.join(', ')}` : '',
    missingColumns.length > 0 ? `missing columns: ${missingColumns.join(', ')}` : '',
  ].filter(Boolean)
  throw new ConfigError(
    `${where} is not a Python ProcessTracker database: ${parts.join('; ')}. ` +
      'Point --from at the database the Python dbscripts created (on PostgreSQL, name its schema with --from-schema). Nothing was written.',
    { missingTables, missingColumns },
  )
}

type Row = Record<string, unknown>

/**
 * Keeps the next batch's read in flight while the caller writes the current one: the source and
 * the target are different connections, so a large import overlaps its reads with its writes.
 */
async function* readAhead<T>(batches: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = batches[Symbol.asyncIterator]()
  let pending = iterator.next()
  try {
    for (;;) {
      const result = await pending
      if (result.done === true) return
      pending = iterator.next()
      yield result.value
    }
  } finally {
    // When the caller stops early (its write failed), a read still in flight no longer matters.
    pending.catch(() => undefined)
  }
}

/** One import: what was planned, read and written. */
class ImportRun {
  readonly #store: DataStore
  readonly #source: SourceConnection
  readonly #catalog: Map<string, SourceColumn[]>
  readonly #options: ImportPythonOptions
  readonly #now = new Date()
  readonly #sentinels: SentinelLog = new Map()
  readonly #counts = new Map<string, ImportTableCount>()
  readonly #mends: ImportMend[] = []
  #statuses: { id: number; name: string; category: StatusCategory; custom: boolean }[] = []
  #plan: RunPlan = { renumbered: new Map(), latest: new Set(), secondActive: new Map() }
  #latestChanged: { processTrackingId: number; was: boolean; now: boolean }[] = []
  #failedStatusId = 0
  #processErrorTypeId: number | undefined
  #newProcessErrorTypeId: number | undefined
  #maxErrorId = 0
  #totals = new Map<string, number>()
  #dropped: ImportReport['droppedColumns'] = []

  constructor(store: DataStore, source: SourceConnection, catalog: Map<string, SourceColumn[]>, options: ImportPythonOptions) {
    this.#store = store
    this.#source = source
    this.#catalog = catalog
    this.#options = options
  }

  async prepare(overrides: Map<string, StatusCategory>): Promise<void> {
    const source = this.#source
    const statusRows = await source.query(
      `select process_status_id, process_status_name from ${source.table('process_status_lkup')} order by process_status_id`,
    )
    const standard: Record<string, StatusCategory> = PROCESS_STATUS_CATEGORIES
    this.#statuses = statusRows.map((row) => {
      const name = String(row.process_status_name)
      const known = standard[name]
      return { id: Number(row.process_status_id), name, category: known ?? overrides.get(name) ?? 'succeeded', custom: known === undefined }
    })
    const unknown = [...overrides.keys()].filter((name) => !this.#statuses.some((status) => status.name === name))
    if (unknown.length > 0) {
      throw new ConfigError(
        `--status-category names statuses the Python database does not have: ${unknown.join(', ')}. Its statuses: ${this.#statuses.map((s) => s.name).join(', ')}.`,
      )
    }
    const failed = this.#statuses.find((status) => status.name === 'failed')
    if (!failed)
      throw new ConfigError('The Python database has no process status "failed": it is not a usable Python ProcessTracker database.')
    this.#failedStatusId = failed.id
    const errorTypes = await source.query(
      `select error_type_id, error_type_name from ${source.table('error_type_lkup')} order by error_type_id`,
    )
    this.#processErrorTypeId = errorTypes
      .map((row) => (row.error_type_name === 'Process Error' ? Number(row.error_type_id) : 0))
      .find(Boolean)
    const maxError = await source.query(`select max(error_tracking_id) as m from ${source.table('error_tracking')}`)
    this.#maxErrorId = Number(maxError[0]?.m ?? 0)
    this.#plan = await planRuns(source, new Map(this.#statuses.map((status) => [status.id, status.category])))
    if (this.#plan.secondActive.size > 0 && this.#processErrorTypeId === undefined) {
      const maxType = Math.max(0, ...errorTypes.map((row) => Number(row.error_type_id)))
      this.#newProcessErrorTypeId = maxType + 1
      this.#processErrorTypeId = maxType + 1
    }
    for (const table of IMPORTED_TABLES) {
      if (ADDED_TABLES.includes(table.name)) continue
      const rows = await source.query(`select count(*) as n from ${source.table(table.name)}`)
      this.#totals.set(table.name, Number(rows[0]?.n ?? 0))
      const expected = new Set([...expectedColumns(table), 'created_date_time', 'created_by', 'update_date_time', 'updated_by'])
      for (const column of this.#catalog.get(table.name) ?? []) {
        if (expected.has(column.name)) continue
        const filled = await source.query(`select count(${source.column(column.name)}) as n from ${source.table(table.name)}`)
        this.#dropped.push({ table: table.name, column: column.name, nonNullRows: Number(filled[0]?.n ?? 0) })
      }
    }
  }

  async execute(): Promise<ImportReport> {
    const ctx = contextOf(this.#store)
    if (this.#options.dryRun) {
      await assertTargetEmpty(ctx.db)
      await this.#copyAll(undefined)
    } else {
      try {
        await ctx.db.transaction().execute(async (trx) => {
          await assertTargetEmpty(trx)
          const restore = await allowExplicitZeroIds(trx, ctx.adapter)
          try {
            await clearDefaults(trx)
            await this.#copyAll(trx)
            await finishTarget(trx, ctx.adapter)
          } finally {
            await restore().catch(() => undefined)
          }
        })
      } catch (error) {
        throw this.#writeError(error)
      }
      // The lookup rows were replaced: ids this store remembered may name other rows now.
      ctx.ids.clear()
      ctx.processStatuses.byId.clear()
      ctx.processStatuses.byName.clear()
    }
    return this.#report()
  }

  #writeError(error: unknown): unknown {
    const translated = contextOf(this.#store).translate(error)
    if (translated instanceof ProcessTrackerError) return translated
    const message = redactUrl(translated instanceof Error ? translated.message : String(translated))
    return new ConfigError(
      `Writing the imported rows failed (${message}); the target was left as it was. Check the target database and run the import again.`,
      {},
      { cause: error },
    )
  }

  async #copyAll(db: Db | undefined): Promise<void> {
    for (const table of IMPORTED_TABLES) {
      if (ADDED_TABLES.includes(table.name)) continue
      const count = this.#count(table.name)
      const total = this.#totals.get(table.name) ?? 0
      for await (const batch of readAhead(
        readTable(this.#source, table, this.#catalog.get(table.name) ?? [], this.#sentinels, this.#now),
      )) {
        const rows = batch.converted.map((row, i) => this.#adjust(table, row, batch.raw[i] ?? {}))
        count.rowsRead += batch.raw.length
        count.rowsWritten += rows.length
        if (db) await insertRows(db, contextOf(this.#store).adapter, table, rows)
        await this.#options.onProgress?.({ table: table.name, rowsRead: count.rowsRead, rowsTotal: total })
      }
      const extra = this.#extraRows(table.name)
      count.rowsWritten += extra.length
      if (db) await insertRows(db, contextOf(this.#store).adapter, table, extra)
    }
    await this.#copyExtractHistory(db)
  }

  #count(table: string): ImportTableCount {
    let count = this.#counts.get(table)
    if (!count) {
      count = { table, rowsRead: 0, rowsWritten: 0 }
      this.#counts.set(table, count)
    }
    return count
  }

  /** Per-table columns the Python rows lack, and the run mends. */
  #adjust(table: TableSpec, row: Row, raw: Row): Row {
    if (table.lookup) row.is_protected = false
    switch (table.name) {
      case 'process_status_lkup':
        row.process_status_category = this.#statuses.find((s) => s.id === row.process_status_id)?.category ?? 'succeeded'
        break
      case 'location_lkup':
        row.location_path_hash = sha256Hex(String(row.location_path))
        break
      case 'extract_tracking':
        row.extract_filename_hash = sha256Hex(String(row.extract_filename))
        break
      case 'process_tracking': {
        const id = Number(row.process_tracking_id)
        const renumbered = this.#plan.renumbered.get(id)
        if (renumbered) row.process_run_id = renumbered.to
        if (this.#plan.secondActive.has(id)) row.process_status_id = this.#failedStatusId
        const latest = this.#plan.latest.has(id)
        const was = raw.is_latest_run === true || raw.is_latest_run === 1 || raw.is_latest_run === 't'
        if (was !== latest) this.#latestChanged.push({ processTrackingId: id, was, now: latest })
        row.is_latest_run = latest
        // Python runs have no lineage id: each gets a UUIDv7 of its start, so the ids sort as the runs began.
        const start = row.process_run_start_date_time
        row.run_uuid = uuidv7At(start instanceof Date && !Number.isNaN(start.getTime()) ? start.getTime() : this.#now.getTime())
        break
      }
    }
    return row
  }

  /** Rows the import adds to a table after its Python rows. */
  #extraRows(table: string): Row[] {
    const audit = {
      created_date_time: this.#now,
      update_date_time: this.#now,
      created_by: contextOf(this.#store).auditUser,
      updated_by: contextOf(this.#store).auditUser,
    }
    if (table === 'error_type_lkup' && this.#newProcessErrorTypeId !== undefined) {
      return [{ error_type_id: this.#newProcessErrorTypeId, error_type_name: 'Process Error', is_protected: false, ...audit }]
    }
    if (table !== 'error_tracking') return []
    let next = this.#maxErrorId
    return [...this.#plan.secondActive.values()].map((run) => {
      next += 1
      const at = readTimestamp(run.keptStart)
      return {
        error_tracking_id: next,
        error_type_id: this.#processErrorTypeId,
        process_tracking_id: run.processTrackingId,
        error_description: SECOND_ACTIVE_RUN_ERROR,
        error_occurrence_date_time: at instanceof Date ? at : this.#now,
        ...audit,
      }
    })
  }

  /** Each extract's history starts with its status at its last update, by the last run linked to it. */
  async #copyExtractHistory(db: Db | undefined): Promise<void> {
    const source = this.#source
    const count = this.#count('extract_status_history')
    const e = source.table('extract_tracking')
    const l = source.table('extract_process_tracking')
    const hasUpdate = (this.#catalog.get('extract_tracking') ?? []).some((column) => column.name === 'update_date_time')
    const time = hasUpdate ? 'e.update_date_time' : 'e.extract_registration_date_time'
    const ids: number[] = []
    let last = -1
    for (;;) {
      const rows = await source.query(
        `select e.extract_id, e.extract_status_id, ${time} as at, e.extract_registration_date_time as registered,
                (select max(l.process_tracking_id) from ${l} l where l.extract_tracking_id = e.extract_id) as run_id
         from ${e} e where e.extract_id > ${source.param(1)} order by e.extract_id limit 5000`,
        [last],
      )
      if (rows.length === 0) break
      const history = rows.map((row) => {
        const at = readTimestamp(row.at)
        const registered = readTimestamp(row.registered)
        ids.push(Number(row.extract_id))
        return {
          extract_id: Number(row.extract_id),
          process_tracking_id: row.run_id === null ? null : Number(row.run_id),
          extract_status_id: Number(row.extract_status_id),
          event_date_time: at instanceof Date ? at : registered instanceof Date ? registered : this.#now,
          created_by: contextOf(this.#store).auditUser,
          updated_by: contextOf(this.#store).auditUser,
        }
      })
      count.rowsWritten += history.length
      if (db) await insertRows(db, contextOf(this.#store).adapter, HISTORY_TABLE, history)
      last = Number(rows[rows.length - 1]?.extract_id)
      if (rows.length < 5000) break
    }
    if (ids.length > 0) {
      this.#mends.push({
        kind: 'extract-status-history',
        table: 'extract_tracking',
        description:
          "Python keeps no extract status history: each extract's history starts with one entry, its status at its last update, attributed to the last run linked to it.",
        ids,
      })
    }
  }

  #report(): ImportReport {
    const mends: ImportMend[] = []
    for (const entry of this.#sentinels.values()) {
      mends.push({
        kind: 'sentinel-date',
        table: entry.table,
        column: entry.column,
        description: entry.notNull
          ? "a placeholder or impossible date (such as 1900-01-01) in a column that needs a time: set to the row's creation time"
          : 'a placeholder or impossible date (such as 1900-01-01 for "never") became NULL',
        ids: entry.ids,
      })
    }
    if (this.#latestChanged.length > 0) {
      const cleared = this.#latestChanged.filter((change) => change.was).length
      mends.push({
        kind: 'latest-run',
        table: 'process_tracking',
        column: 'is_latest_run',
        description: `recomputed: exactly one latest run per process, the highest process_run_id (ties by tracking id); cleared on ${cleared}, set on ${this.#latestChanged.length - cleared}`,
        ids: this.#latestChanged.map((change) => change.processTrackingId),
        details: this.#latestChanged,
      })
    }
    if (this.#plan.renumbered.size > 0) {
      const details = [...this.#plan.renumbered.values()]
      mends.push({
        kind: 'duplicate-run-id',
        table: 'process_tracking',
        column: 'process_run_id',
        description:
          "a run number the Python start gave twice: the first run (by tracking id) keeps it, the others are renumbered after the process's highest, in tracking-id order",
        ids: details.map((run) => run.processTrackingId),
        details: details.map((run) => ({ ...run })),
      })
    }
    if (this.#plan.secondActive.size > 0) {
      let next = this.#maxErrorId
      const details = [...this.#plan.secondActive.values()].map((run) => ({
        processTrackingId: run.processTrackingId,
        processId: run.processId,
        keptProcessTrackingId: run.keptProcessTrackingId,
        errorTrackingId: (next += 1),
      }))
      mends.push({
        kind: 'second-active-run',
        table: 'process_tracking',
        column: 'process_status_id',
        description: `a second active run of one process (the Python start raced): imported as failed with a Process Error "${SECOND_ACTIVE_RUN_ERROR}"`,
        ids: details.map((run) => run.processTrackingId),
        details,
      })
    }
    const custom = this.#statuses.filter((status) => status.custom)
    if (custom.length > 0) {
      mends.push({
        kind: 'custom-status-category',
        table: 'process_status_lkup',
        column: 'process_status_category',
        description: `custom statuses got a category: ${custom.map((status) => `${status.name} → ${status.category}`).join(', ')}`,
        ids: custom.map((status) => status.id),
        details: custom.map((status) => ({ status: status.name, category: status.category })),
      })
    }
    mends.push(...this.#mends)
    const tables = IMPORTED_TABLES.map((table) => this.#counts.get(table.name) ?? { table: table.name, rowsRead: 0, rowsWritten: 0 })
    return {
      source: describeConnection(this.#source.spec),
      sourceNamespace: this.#source.namespace,
      target: describeConnection(contextOf(this.#store).spec),
      dryRun: this.#options.dryRun === true,
      tables,
      mends,
      statusCategories: this.#statuses.map((status) => ({ status: status.name, category: status.category, custom: status.custom })),
      droppedColumns: this.#dropped,
    }
  }
}
