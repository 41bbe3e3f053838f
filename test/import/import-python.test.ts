/**
 * The six pairs: each Python 0.9 fixture (PostgreSQL, MySQL), restored into a fresh database, imported
 * into SQLite, PostgreSQL and MariaDB targets; every figure and quirk of manifest.json checked on the
 * target, and the tracker carrying on afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DependencyBlockedError,
  ProcessOnHoldError,
  ProcessRunningError,
  ProcessTracker,
  SECOND_ACTIVE_RUN_ERROR,
  importPythonDatabase,
  type DataStore,
  type ImportMend,
  type ImportReport,
} from '../../src/index.ts'
import { rowCounts } from '../support/snapshot.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import {
  MANIFEST,
  SOURCE_DIALECTS,
  createSourceDatabase,
  quirk,
  type ManifestDatabase,
  type ManifestProcess,
  type RestoredSource,
  type SourceDialect,
} from './python-fixture.ts'
import { countBy, iso, manifestTime, nameIds, names, processFacts, rows, scalar } from './target-facts.ts'

const sentinel = (text: string | null) => (text === null || text.startsWith('1900-01-01') ? null : manifestTime(text))

function mend(report: ImportReport, kind: ImportMend['kind'], column?: string): ImportMend | undefined {
  return report.mends.find((entry) => entry.kind === kind && (column === undefined || entry.column === column))
}

/** What the import must do to a process, derived from the manifest's facts alone. */
function expectedMends(process: ManifestProcess) {
  const renumbered: { id: number; from: number; to: number }[] = []
  const extras = Object.entries(process.duplicate_process_run_ids)
    .flatMap(([runId, ids]) =>
      [...ids]
        .sort((a, b) => a - b)
        .slice(1)
        .map((id) => ({ id, from: Number(runId) })),
    )
    .sort((a, b) => a.id - b.id)
  extras.forEach((run, i) => renumbered.push({ ...run, to: process.max_process_run_id + i + 1 }))
  const failed = process.active_runs.filter((id) => id !== process.latest_run.process_tracking_id)
  return { renumbered, failed }
}

function expectedProcess(process: ManifestProcess) {
  const { renumbered, failed } = expectedMends(process)
  const byStatus = { ...process.runs_by_status }
  if (failed.length > 0) {
    byStatus.running = (byStatus.running ?? 0) - failed.length
    byStatus.failed = (byStatus.failed ?? 0) + failed.length
    if (byStatus.running === 0) delete byStatus.running
  }
  const errorsByType = { ...process.errors_by_type }
  if (failed.length > 0) errorsByType['Process Error'] = (errorsByType['Process Error'] ?? 0) + failed.length
  const renumberedLatest = renumbered.find((run) => run.id === process.latest_run.process_tracking_id)
  return {
    process_id: process.process_id,
    name: process.name,
    type: process.type,
    tool: process.tool,
    schedule_frequency: process.schedule_frequency,
    runs: process.runs,
    runs_by_status: byStatus,
    max_process_run_id: process.max_process_run_id + renumbered.length,
    latest_runs: [
      {
        process_tracking_id: process.latest_run.process_tracking_id,
        process_run_id: renumberedLatest?.to ?? process.latest_run.process_run_id,
        status: process.latest_run.status,
        start: manifestTime(process.latest_run.start),
        end: manifestTime(process.latest_run.end),
      },
    ],
    trailing_failure_streak: process.trailing_failure_streak,
    total_record_count: process.total_record_count,
    sum_of_run_record_counts: process.sum_of_run_record_counts,
    last_completed_run_date_time: sentinel(process.last_completed_run_date_time),
    last_failed_run_date_time: sentinel(process.last_failed_run_date_time),
    last_errored_run_date_time: sentinel(process.last_errored_run_date_time),
    max_end_of_completed_runs: manifestTime(process.max_end_of_completed_runs),
    max_end_of_failed_runs: manifestTime(process.max_end_of_failed_runs),
    first_run_start: manifestTime(process.first_run_start),
    errors: process.errors + failed.length,
    errors_by_type: errorsByType,
    actors: [...process.actors].sort(),
    named_runs: process.named_runs,
    sources: [...process.sources].sort(),
    targets: [...process.targets].sort(),
    source_objects: [...process.source_objects].sort(),
    target_objects: [...process.target_objects].sort(),
    source_object_attributes: [...process.source_object_attributes].sort(),
    target_object_attributes: [...process.target_object_attributes].sort(),
    dataset_types: [...process.dataset_types].sort(),
    contacts: [...process.contacts].sort(),
    clusters: [...process.clusters].sort(),
  }
}

const secondActiveTotal = (facts: ManifestDatabase) =>
  facts.processes.reduce((sum, process) => sum + expectedMends(process).failed.length, 0)

function checkPair(sourceDialect: SourceDialect, targetDialect: (typeof DIALECTS)[number], source: () => RestoredSource): void {
  const facts = MANIFEST[sourceDialect]
  const target = useIsolatedStore(targetDialect)
  let report: ImportReport
  let store: DataStore

  beforeAll(async () => {
    store = target.store
    report = await importPythonDatabase(store, { from: source().url })
  })

  it('reads every row of every Python table and writes each one, plus what the mends add', async () => {
    const added = secondActiveTotal(facts)
    expect(report.dryRun).toBe(false)
    const counts = await rowCounts(store)
    for (const [table, expected] of Object.entries(facts.row_counts)) {
      expect(report.tables.find((row) => row.table === table)?.rowsRead, `${table} read`).toBe(expected)
      const written = table === 'error_tracking' ? expected + added : expected
      expect(report.tables.find((row) => row.table === table)?.rowsWritten, `${table} written`).toBe(written)
      // Lookups may also hold the processtracker defaults the Python database lacked.
      if (
        [
          'process_status_lkup',
          'extract_filetype_lkup',
          'extract_compression_type_lkup',
          'location_type_lkup',
          'filesize_type_lkup',
          'error_type_lkup',
          'process_type_lkup',
          'source_type_lkup',
        ].includes(table)
      ) {
        expect(counts[table], table).toBeGreaterThanOrEqual(written)
      } else {
        expect(counts[table], table).toBe(written)
      }
    }
    expect(counts.extract_status_history).toBe(facts.extracts_total)
    expect(counts.process_tracking).toBe(facts.runs_total)
  })

  it('keeps every lookup with its id', async () => {
    const lookups = facts.lookups
    // Python has no `released` status: the seed adds it after the imported ids, with its own category.
    const statuses = await nameIds(store, 'process_status_lkup', 'process_status_id', 'process_status_name')
    const { released, ...pythonStatuses } = statuses
    expect(pythonStatuses).toEqual(lookups.process_status_lkup)
    expect(released).toBeGreaterThan(Math.max(...Object.values(lookups.process_status_lkup)))
    expect(
      await rows(store, "select process_status_category as category from process_status_lkup where process_status_name = 'released'"),
    ).toEqual([{ category: 'released' }])
    expect(
      await scalar(store, "select count(*) from process_status_lkup where process_status_name = 'released' and is_protected = true"),
    ).toBe(1)
    expect(await nameIds(store, 'extract_status_lkup', 'extract_status_id', 'extract_status_name')).toEqual(lookups.extract_status_lkup)
    expect(await nameIds(store, 'schedule_frequency_lkup', 'schedule_frequency_id', 'schedule_frequency_name')).toEqual(
      lookups.schedule_frequency_lkup,
    )
    expect(await nameIds(store, 'dependency_type_lkup', 'dependency_type_id', 'dependency_type_name')).toEqual(lookups.dependency_type_lkup)
    expect(await nameIds(store, 'error_type_lkup', 'error_type_id', 'error_type_name')).toMatchObject(lookups.error_type_lkup)
    expect(await nameIds(store, 'process_type_lkup', 'process_type_id', 'process_type_name')).toMatchObject(lookups.process_type_lkup)
    expect(await names(store, 'select actor_name from actor_lkup')).toEqual([...lookups.actor_lkup].sort())
    expect(await names(store, 'select tool_name from tool_lkup')).toEqual([...lookups.tool_lkup].sort())
    const [version] = await rows(store, "select system_value from system_lkup where system_key = 'version'")
    expect(version?.system_value).toBe(lookups.system_lkup.version)
    expect(await nameIds(store, 'schedule_frequency_lkup', 'schedule_frequency_id', 'schedule_frequency_name')).toEqual(
      quirk('schedule-frequency-ids', sourceDialect),
    )
    expect(await scalar(store, 'select count(*) from character_set_lkup')).toBe(0)
    expect(await scalar(store, 'select count(*) from data_type_lkup')).toBe(0)
  })

  it('reproduces every process of the manifest, mended', async () => {
    for (const process of facts.processes) {
      expect(await processFacts(store, process.process_id), process.name).toEqual(expectedProcess(process))
    }
    expect(await scalar(store, 'select count(*) from process_tracking where is_latest_run = true')).toBe(facts.processes.length)
  })

  it('carries dependencies, errors, extracts, links, locations, contacts, clusters, sources and filters over', async () => {
    const added = secondActiveTotal(facts)
    expect(
      await rows(
        store,
        `select p.process_name as parent, c.process_name as child, t.dependency_type_name as dependency_type from process_dependency d
         join process p on p.process_id = d.parent_process_id join process c on c.process_id = d.child_process_id
         join dependency_type_lkup t on t.dependency_type_id = d.dependency_type_id order by 1, 2`,
      ),
    ).toEqual([...facts.process_dependencies].sort((a, b) => (a.parent + a.child < b.parent + b.child ? -1 : 1)))
    expect(await scalar(store, 'select count(*) from error_tracking')).toBe(facts.errors_total + added)
    const byType = { ...facts.errors_by_type, 'Process Error': (facts.errors_by_type['Process Error'] ?? 0) + added }
    expect(
      await countBy(
        store,
        'select t.error_type_name as k, count(*) as n from error_tracking e join error_type_lkup t on t.error_type_id = e.error_type_id group by t.error_type_name',
      ),
    ).toEqual(byType)
    const byRunStatus = { ...facts.errors_on_runs_by_final_status, failed: (facts.errors_on_runs_by_final_status.failed ?? 0) + added }
    expect(
      await countBy(
        store,
        `select s.process_status_name as k, count(*) as n from error_tracking e join process_tracking r on r.process_tracking_id = e.process_tracking_id
         join process_status_lkup s on s.process_status_id = r.process_status_id group by s.process_status_name`,
      ),
    ).toEqual(byRunStatus)
    expect(await scalar(store, "select count(*) from error_tracking where error_description = 'Unspecified error.'")).toBe(
      facts.errors_without_description_given,
    )

    const extracts = await rows(
      store,
      `select e.extract_id, e.extract_filename, s.extract_status_name, l.location_name, c.extract_compression_type, f.extract_filetype,
              e.extract_registration_date_time, e.extract_write_record_count, e.extract_load_record_count
       from extract_tracking e join extract_status_lkup s on s.extract_status_id = e.extract_status_id
       join location_lkup l on l.location_id = e.extract_location_id
       left join extract_compression_type_lkup c on c.extract_compression_type_id = e.extract_compression_type_id
       left join extract_filetype_lkup f on f.extract_filetype_id = e.extract_filetype_id order by e.extract_id`,
    )
    expect(
      extracts.map((row) => ({
        extract_id: Number(row.extract_id),
        filename: row.extract_filename,
        status: row.extract_status_name,
        location: row.location_name,
        compression: row.extract_compression_type,
        filetype: row.extract_filetype,
        registered: iso(row.extract_registration_date_time),
        write_count: row.extract_write_record_count === null ? null : Number(row.extract_write_record_count),
        load_count: row.extract_load_record_count === null ? null : Number(row.extract_load_record_count),
      })),
    ).toEqual(facts.extracts.map((extract) => ({ ...extract, registered: manifestTime(extract.registered) })))
    expect(
      await countBy(
        store,
        'select s.extract_status_name as k, count(*) as n from extract_tracking e join extract_status_lkup s on s.extract_status_id = e.extract_status_id group by s.extract_status_name',
      ),
    ).toEqual(facts.extracts_by_status)
    expect(
      await countBy(
        store,
        'select s.extract_status_name as k, count(*) as n from extract_process_tracking x join extract_status_lkup s on s.extract_status_id = x.extract_process_status_id group by s.extract_status_name',
      ),
    ).toEqual(facts.extract_process_links_by_status)
    expect(
      await countBy(
        store,
        `select p.process_name as k, count(*) as n from extract_process_tracking x join process_tracking r on r.process_tracking_id = x.process_tracking_id
         join process p on p.process_id = r.process_id group by p.process_name`,
      ),
    ).toEqual(facts.extract_process_links_by_process)
    expect(
      await rows(
        store,
        `select p.extract_filename as parent, c.extract_filename as child, t.dependency_type_name as dependency_type from extract_dependency d
         join extract_tracking p on p.extract_id = d.parent_extract_id join extract_tracking c on c.extract_id = d.child_extract_id
         join dependency_type_lkup t on t.dependency_type_id = d.dependency_type_id`,
      ).then((list) => list.map((row) => JSON.stringify(row)).sort()),
    ).toEqual(facts.extract_dependencies.map((row) => JSON.stringify(row)).sort())
    const locations = await rows(
      store,
      `select l.location_name as name, l.location_path as path, t.location_type_name as type, l.location_file_count as file_count,
              l.location_bucket_name as bucket, (select count(*) from extract_tracking e where e.extract_location_id = l.location_id) as extracts
       from location_lkup l join location_type_lkup t on t.location_type_id = l.location_type_id order by l.location_id`,
    )
    expect(
      locations.map((row) => ({
        ...row,
        file_count: row.file_count === null ? null : Number(row.file_count),
        extracts: Number(row.extracts),
      })),
    ).toEqual(facts.locations)
    expect(await rows(store, 'select contact_name as name, contact_email as email from contact_lkup order by contact_id')).toEqual(
      facts.contacts,
    )
    expect(
      (
        await rows(
          store,
          'select s.source_name as source, c.contact_name as contact from source_contact x join source_lkup s on s.source_id = x.source_id join contact_lkup c on c.contact_id = x.contact_id',
        )
      )
        .map((row) => JSON.stringify(row))
        .sort(),
    ).toEqual(facts.source_contacts.map((row) => JSON.stringify(row)).sort())
    expect(
      (
        await rows(
          store,
          `select cluster_name as name, cluster_max_memory as max_memory, cluster_max_memory_unit as memory_unit,
                  cluster_max_processing as max_processing, cluster_max_processing_unit as processing_unit from cluster_tracking_lkup order by cluster_id`,
        )
      ).map((row) => ({ ...row, max_memory: Number(row.max_memory), max_processing: Number(row.max_processing) })),
    ).toEqual(facts.clusters)
    expect(
      await rows(
        store,
        'select s.source_name as name, t.source_type_name as type from source_lkup s join source_type_lkup t on t.source_type_id = s.source_type_id order by s.source_id',
      ),
    ).toEqual(facts.sources)
    const filters = await rows(
      store,
      `select p.process_name as process, o.source_object_name as object_name, a.source_object_attribute_name as attribute_name, t.filter_type_code as filter,
              f.filter_value_string as value_string, f.filter_value_numeric as value_numeric
       from process_filter f join process p on p.process_id = f.process_id
       join source_object_attribute_lkup a on a.source_object_attribute_id = f.source_object_attribute_id
       join source_object_lkup o on o.source_object_id = a.source_object_id join filter_type_lkup t on t.filter_type_id = f.filter_type_id
       order by f.process_filter_id`,
    )
    expect(
      filters.map((row) => ({
        process: row.process,
        attribute: `${String(row.object_name)}.${String(row.attribute_name)}`,
        filter: row.filter,
        value_string: row.value_string,
        value_numeric: row.value_numeric === null ? null : String(Number(row.value_numeric)),
      })),
    ).toEqual(facts.process_filters)
  })

  it('mends every quirk of the manifest and reports each with the ids it touched', async () => {
    // sentinel-1900: the placeholder dates became NULL, each reported with its process ids.
    const sentinels = quirk<Record<string, number>>('sentinel-1900', sourceDialect)
    for (const [column, count] of Object.entries(sentinels)) {
      expect(facts.sentinel_1900_dates[column]).toBe(count)
      expect(mend(report, 'sentinel-date', column)?.ids.length ?? 0, column).toBe(count)
      expect(await scalar(store, `select count(*) from process where ${column} is null`), column).toBe(count)
    }
    // duplicate-process-run-id: the later duplicates renumbered after the highest, in tracking-id order.
    const duplicates = quirk<Record<string, number[]>>('duplicate-process-run-id', sourceDialect)
    const expectedRenumbered = facts.processes.flatMap((process) => expectedMends(process).renumbered)
    expect(expectedRenumbered.map((run) => run.id)).toEqual(
      Object.values(duplicates)
        .map((ids) => Math.max(...ids))
        .sort((a, b) => a - b),
    )
    expect(
      mend(report, 'duplicate-run-id')?.details?.map((entry) => ({ id: entry.processTrackingId, from: entry.from, to: entry.to })),
    ).toEqual(expectedRenumbered)
    for (const run of expectedRenumbered) {
      expect(await scalar(store, `select process_run_id from process_tracking where process_tracking_id = ${run.id}`)).toBe(run.to)
    }
    expect(
      await scalar(
        store,
        'select count(*) from (select process_id, process_run_id from process_tracking group by process_id, process_run_id having count(*) > 1) d',
      ),
    ).toBe(0)
    // two-active-runs: all but the latest failed, each with its Process Error.
    const twoActive = quirk<number[]>('two-active-runs', sourceDialect)
    const failed = twoActive.slice(0, -1)
    expect(mend(report, 'second-active-run')?.ids).toEqual(failed)
    for (const id of failed) {
      const [run] = await rows(
        store,
        `select s.process_status_name as status, e.error_description, t.error_type_name from process_tracking r
         join process_status_lkup s on s.process_status_id = r.process_status_id
         join error_tracking e on e.process_tracking_id = r.process_tracking_id join error_type_lkup t on t.error_type_id = e.error_type_id
         where r.process_tracking_id = ${id}`,
      )
      expect(run).toEqual({ status: 'failed', error_description: SECOND_ACTIVE_RUN_ERROR, error_type_name: 'Process Error' })
    }
    // is-latest-run-not-unique: recomputed, the wrongly set flags reported as cleared.
    const flagged = quirk<number[]>('is-latest-run-not-unique', sourceDialect)
    const latestIds = new Set(facts.processes.map((process) => process.latest_run.process_tracking_id))
    expect(mend(report, 'latest-run')?.ids.sort()).toEqual(flagged.filter((id) => !latestIds.has(id)).sort())
    // hold-release-no-end-date and on-hold-latest: statuses as Python left them.
    for (const hold of [
      { id: 118, status: 'completed' },
      { id: 171, status: 'on hold' },
    ]) {
      const [row] = await rows(
        store,
        `select s.process_status_name as status from process_tracking r join process_status_lkup s on s.process_status_id = r.process_status_id where r.process_tracking_id = ${hold.id}`,
      )
      expect(row?.status).toBe(hold.status)
    }
    // failure-streak: counted on the target exactly as in Python.
    const streaks = quirk<Record<string, number>>('failure-streak', sourceDialect)
    for (const [name, streak] of Object.entries(streaks)) {
      const process = facts.processes.find((entry) => entry.name === name)
      expect(process?.trailing_failure_streak).toBe(streak)
      expect((await processFacts(store, process?.process_id ?? 0)).trailing_failure_streak).toBe(streak)
    }
    // custom-statuses: kept by name; 'skipped' counts as succeeded (reported), 'quarantined' kept.
    const custom = quirk<{ process: number; extract: number }>('custom-statuses', sourceDialect)
    expect(
      await scalar(
        store,
        "select count(*) from process_tracking r join process_status_lkup s on s.process_status_id = r.process_status_id where s.process_status_name = 'skipped'",
      ),
    ).toBe(custom.process)
    expect(
      await scalar(
        store,
        "select count(*) from extract_tracking e join extract_status_lkup s on s.extract_status_id = e.extract_status_id where s.extract_status_name = 'quarantined'",
      ),
    ).toBe(custom.extract)
    const [skipped] = await rows(store, "select process_status_category from process_status_lkup where process_status_name = 'skipped'")
    expect(skipped?.process_status_category).toBe('succeeded')
    expect(report.statusCategories.filter((status) => status.custom)).toEqual([{ status: 'skipped', category: 'succeeded', custom: true }])
    expect(mend(report, 'custom-status-category')?.ids).toEqual([facts.lookups.process_status_lkup.skipped])
    // extract-link-initializing: link statuses carried over as they were.
    expect(
      await countBy(
        store,
        'select s.extract_status_name as k, count(*) as n from extract_process_tracking x join extract_status_lkup s on s.extract_status_id = x.extract_process_status_id group by s.extract_status_name',
      ),
    ).toEqual(quirk('extract-link-initializing', sourceDialect))
    // total-record-count-overwrite: both figures as Python had them.
    for (const [name, [total, sum]] of Object.entries(
      quirk<Record<string, [number, number]>>('total-record-count-overwrite', sourceDialect),
    )) {
      const process = facts.processes.find((entry) => entry.name === name)
      const got = await processFacts(store, process?.process_id ?? 0)
      expect([got.total_record_count, got.sum_of_run_record_counts], name).toEqual([total, sum])
    }
    // extract status history: one entry per extract, its status, by the last run linked to it.
    expect(mend(report, 'extract-status-history')?.ids).toEqual(facts.extracts.map((extract) => extract.extract_id))
    const history = await rows(
      store,
      `select h.extract_id, h.extract_status_id, e.extract_status_id as current_status, h.process_tracking_id,
              (select max(x.process_tracking_id) from extract_process_tracking x where x.extract_tracking_id = h.extract_id) as last_run
       from extract_status_history h join extract_tracking e on e.extract_id = h.extract_id`,
    )
    expect(history).toHaveLength(facts.extracts_total)
    for (const entry of history) {
      expect(Number(entry.extract_status_id)).toBe(Number(entry.current_status))
      expect(entry.process_tracking_id === null ? null : Number(entry.process_tracking_id)).toBe(
        entry.last_run === null ? null : Number(entry.last_run),
      )
    }
    // empty-tables stay empty; pg-only-columns: the never-written column is reported as dropped.
    for (const table of quirk<string[]>('empty-tables', sourceDialect)) expect(await scalar(store, `select count(*) from ${table}`)).toBe(0)
    if (sourceDialect === 'postgresql') {
      expect(report.droppedColumns).toEqual([{ table: 'extract_tracking', column: 'extract_process_run_id', nonNullRows: 0 }])
    } else {
      expect(report.droppedColumns).toEqual([])
    }
  })

  it('gives every run a unique UUIDv7 of its start time, and the new columns NULL', async () => {
    const runs = await rows(store, 'select process_tracking_id, run_uuid, process_run_start_date_time from process_tracking')
    expect(runs).toHaveLength(facts.runs_total)
    const uuids = runs.map((run) => String(run.run_uuid))
    expect(new Set(uuids).size).toBe(runs.length)
    for (const run of runs) {
      const uuid = String(run.run_uuid)
      expect(uuid, String(run.process_tracking_id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      const ms = parseInt(uuid.replace(/-/g, '').slice(0, 12), 16)
      expect(new Date(ms).toISOString(), String(run.process_tracking_id)).toBe(iso(run.process_run_start_date_time))
    }
    const [latest] = await store.listRuns({ processName: 'publish_sales_report', limit: 1 })
    expect(latest?.runUuid).toBe(runs.find((run) => Number(run.process_tracking_id) === latest?.processTrackingId)?.run_uuid)
    // What Python never recorded stays unknown; history is not news, so no lineage event is queued.
    expect(
      await scalar(
        store,
        `select count(*) from extract_tracking where extract_file_size_bytes is not null or extract_file_modified_date_time is not null
           or extract_file_etag is not null or extract_delivery_date_time is not null or extract_delivery_process_tracking_id is not null`,
      ),
    ).toBe(0)
    expect(await scalar(store, 'select count(*) from extract_status_history where event_note is not null')).toBe(0)
    expect(await scalar(store, 'select count(*) from source_lkup where source_uri is not null')).toBe(0)
    expect(await scalar(store, 'select count(*) from lineage_outbox')).toBe(0)
  })

  it('carries on: the next run number follows the highest, streaks count, holds hold', async () => {
    const maxTracking = await scalar(store, 'select max(process_tracking_id) from process_tracking')
    // A process whose latest run completed starts with the next number and a fresh tracking id.
    const erp = facts.processes.find((process) => process.name === 'erp_orders_extract')
    const erpRun = await ProcessTracker.start(store, { processName: 'erp_orders_extract' })
    expect(erpRun.processRunId).toBe((erp?.max_process_run_id ?? 0) + 1)
    expect(erpRun.processTrackingId).toBeGreaterThan(maxTracking)
    await erpRun.complete()
    // web_events_extract: its kept active run still blocks; once done, the next number follows the renumbered ones.
    const web = facts.processes.find((process) => process.name === 'web_events_extract')
    if (!web) throw new Error('web_events_extract missing from the manifest')
    await expect(ProcessTracker.start(store, { processName: 'web_events_extract' })).rejects.toBeInstanceOf(ProcessRunningError)
    await (await ProcessTracker.resume(store, web.latest_run.process_tracking_id)).complete()
    const webRun = await ProcessTracker.start(store, { processName: 'web_events_extract' })
    expect(webRun.processRunId).toBe(expectedProcess(web).max_process_run_id + 1)
    await webRun.complete()
    // publish_sales_report was put on hold in Python: it stays on hold.
    await expect(ProcessTracker.start(store, { processName: 'publish_sales_report' })).rejects.toBeInstanceOf(ProcessOnHoldError)
    expect((await store.explain('publish_sales_report')).rule).toBe('on-hold')
    expect((await store.listRuns({ processName: 'publish_sales_report', limit: 1 }))[0]?.processTrackingId).toBe(171)
    // Released (0.2): the held run becomes `released`, and the process starts again after the imported numbers.
    await store.releaseHold('publish_sales_report')
    const [releasedRun] = await rows(
      store,
      'select s.process_status_name as status from process_tracking r join process_status_lkup s on s.process_status_id = r.process_status_id where r.process_tracking_id = 171',
    )
    expect(releasedRun?.status).toBe('released')
    const publish = facts.processes.find((process) => process.name === 'publish_sales_report')
    const publishRun = await ProcessTracker.start(store, { processName: 'publish_sales_report' })
    expect(publishRun.processRunId).toBe(expectedProcess(publish ?? web).max_process_run_id + 1)
    await publishRun.complete()
    // A new run's UUIDv7 is made now, so it sorts after every imported run's (made from their starts).
    const [newest] = await rows(store, 'select run_uuid from process_tracking order by run_uuid desc')
    expect(newest?.run_uuid).toBe(publishRun.runUuid)
    // build_sales_mart: its parent stage_customers' latest run failed in Python, so it is blocked.
    await expect(ProcessTracker.start(store, { processName: 'build_sales_mart' })).rejects.toBeInstanceOf(DependencyBlockedError)
    // archive_landing_files ended Python with 2 failures in a row: with a threshold of 3, one more puts it on hold.
    const streak = facts.processes.find((process) => process.name === 'archive_landing_files')?.trailing_failure_streak ?? 0
    const strict = await target.database.open({ maxConcurrentFailures: streak + 1 })
    try {
      const archive = await ProcessTracker.start(strict, { processName: 'archive_landing_files' })
      await archive.fail()
      const refusal = await ProcessTracker.start(strict, { processName: 'archive_landing_files' }).catch((error: unknown) => error)
      // Without the imported streak this failure would be the first in a row, far from the threshold.
      // (The hold is noticed at this start, or recorded by the failure itself where 0.2 does that.)
      expect(refusal).toBeInstanceOf(ProcessOnHoldError)
      expect(['failure-threshold', 'on-hold']).toContain((refusal as ProcessOnHoldError).details.rule)
    } finally {
      await strict.close()
    }
  })

  it('refuses a second import into the now non-empty target and changes nothing', async () => {
    const before = await rowCounts(store)
    await expect(importPythonDatabase(store, { from: source().url })).rejects.toThrow(/the target already holds runs/i)
    expect(await rowCounts(store)).toEqual(before)
  })
}

describe.runIf(SOURCE_DIALECTS.length > 0)('import-python: the six pairs', () => {
  for (const sourceDialect of SOURCE_DIALECTS) {
    describe(`from the Python ${sourceDialect} fixture`, () => {
      let source: RestoredSource | undefined
      beforeAll(async () => {
        source = await createSourceDatabase(sourceDialect, true)
      })
      afterAll(async () => {
        await source?.drop()
      })
      const restored = () => {
        if (!source) throw new Error('the fixture is restored in beforeAll')
        return source
      }
      for (const targetDialect of DIALECTS) {
        describe(`into ${targetDialect}`, () => {
          checkPair(sourceDialect, targetDialect, restored)
        })
      }
    })
  }
})
