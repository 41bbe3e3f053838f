import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_EXTRACT, DEMO_LOAD, DEMO_REPORT, claimSummary, extractJob, loadJob, reportJob } from '../../src/cli/demo-pipeline.ts'
import { DataStore, ProcessHaltedError, ProcessOnHoldError, ProcessTracker, flushLineage, lineageStatus } from '../../src/index.ts'
import { uuidv7 } from '../../src/store/uuid7.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { EventValidator, type OlEvent } from './schemas.ts'
import { contextOf } from '../../src/store/context.ts'

const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

for (const dialect of DIALECTS) {
  describe(`OpenLineage events of a full pipeline (${dialect})`, () => {
    let database: IsolatedDatabase
    let store: DataStore
    let folder: string
    let eventsFile: string

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      folder = mkdtempSync(join(tmpdir(), 'pt-lineage-'))
      eventsFile = join(folder, 'events.jsonl')
      store = await database.open({ maxConcurrentFailures: 2, lineage: { transport: 'file', file: eventsFile, namespace: 'demo' } })
    })
    afterAll(async () => {
      await store.close()
      await database.drop()
      rmSync(folder, { recursive: true, force: true })
    })

    it('emits one valid event per change: three dependent processes with files, a failure, a hold, a reaped run', async () => {
      const folders = { landing: join(folder, 'landing'), warehouse: join(folder, 'warehouse') }
      await store.lookups.create('source', 'Lahman', { uri: 'https://www.seanlahman.com' })
      await store.defineProcess({ processName: DEMO_EXTRACT, processType: 'Extract', toolName: 'Spark', sources: 'Lahman' })
      await store.defineProcess({ processName: DEMO_LOAD, processType: 'Load', targetObjects: { Warehouse: ['team_wins'] } })
      await store.defineProcess({ processName: DEMO_REPORT, processType: 'Report' })
      await store.addProcessDependency(DEMO_EXTRACT, DEMO_LOAD)
      await store.addProcessDependency(DEMO_LOAD, DEMO_REPORT, { type: 'Soft' })
      const orchestrator = { namespace: 'airflow', name: 'lahman.daily', runId: uuidv7() }

      // Batch 1: all three complete, the files passing from one to the next.
      const extract1 = await ProcessTracker.start(store, {
        processName: DEMO_EXTRACT,
        nominalStartTime: new Date('2026-12-01T00:00:00Z'),
        openlineageParent: orchestrator,
      })
      const files1 = await extractJob(extract1, folders, 1)
      await extract1.complete()
      const load1 = await ProcessTracker.start(store, { processName: DEMO_LOAD })
      const loaded = await loadJob(load1, folders, 1)
      await load1.complete()
      const report1 = await ProcessTracker.start(store, { processName: DEMO_REPORT })
      const summary = await claimSummary(report1, folders)
      if (!summary) throw new Error('the load wrote no summary')
      await reportJob(report1, summary)
      await report1.complete()

      // Batch 2: the load fails twice, which records a hold; the next start is refused.
      const extract2 = await ProcessTracker.start(store, { processName: DEMO_EXTRACT })
      await extractJob(extract2, folders, 2)
      await extract2.complete()
      const load2 = await ProcessTracker.start(store, { processName: DEMO_LOAD })
      await load2.claimExtracts({ locationPath: folders.landing, limit: 100 })
      await expect(load2.raiseRunError('Data Error', { description: 'Row 42 out of range', failRun: true })).rejects.toThrow(
        ProcessHaltedError,
      )
      const load3 = await ProcessTracker.start(store, { processName: DEMO_LOAD })
      await load3.fail()
      const before = await lineageStatus(store)
      await expect(ProcessTracker.start(store, { processName: DEMO_LOAD })).rejects.toThrow(ProcessOnHoldError)
      expect((await lineageStatus(store)).pending).toBe(before.pending) // a refused start: no run, no event

      // A run reaped after its heartbeat stopped, and one failed by hand.
      const stale = await ProcessTracker.start(store, { processName: DEMO_EXTRACT, heartbeatTimeoutSeconds: 1 })
      await contextOf(store)
        .db.updateTable('process_tracking')
        .set({ last_heartbeat_date_time: new Date(Date.now() - 3_600_000) })
        .where('process_tracking_id', '=', stale.processTrackingId)
        .execute()
      expect((await store.reapStaleRuns()).map((run) => run.processTrackingId)).toEqual([stale.processTrackingId])
      const stuck = await ProcessTracker.start(store, { processName: DEMO_EXTRACT })
      await store.failRun(stuck.processTrackingId, { reason: 'stuck on a lock' })

      const pending = (await lineageStatus(store)).pending
      const counts = await flushLineage(store)
      expect(counts).toEqual({ sent: pending, rejected: 0, failed: 0 })
      expect(await lineageStatus(store)).toMatchObject({ enabled: true, transport: 'file', pending: 0, sent: pending, rejected: 0 })

      const events = readFileSync(eventsFile, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as OlEvent)
      expect(events).toHaveLength(pending)
      const validator = new EventValidator()
      for (const event of events) expect(validator.problems(event), JSON.stringify(event)).toEqual([])

      const of = (run: { runUuid: string }) => events.filter((event) => event.run.runId === run.runUuid)
      const types = (run: { runUuid: string }) => of(run).map((event) => event.eventType)
      const last = (run: { runUuid: string }): OlEvent => {
        const event = of(run).at(-1)
        if (!event) throw new Error(`no event for run ${run.runUuid}`)
        return event
      }

      // Runs: a UUIDv7 each, on the run object, in listRuns and in every event of the run.
      for (const run of [extract1, load1, report1, extract2, load2, load3, stale, stuck]) expect(run.runUuid).toMatch(UUID7)
      const listed = await store.listRuns({ limit: 1000 })
      expect(new Set(listed.map((row) => row.runUuid)).size).toBe(listed.length)
      expect(listed.find((row) => row.processTrackingId === load1.processTrackingId)?.runUuid).toBe(load1.runUuid)
      // Each run: START first, one ending event last, RUNNING in between (at most one per 10 s).
      const runIds = new Set(events.map((event) => event.run.runId))
      expect(runIds.size).toBe(listed.length)
      for (const runId of runIds) {
        const sequence = events.filter((event) => event.run.runId === runId).map((event) => event.eventType)
        expect(sequence[0]).toBe('START')
        expect(sequence.slice(1, -1).every((type) => type === 'RUNNING')).toBe(true)
        expect(['COMPLETE', 'FAIL', 'ABORT']).toContain(sequence.at(-1))
      }
      expect(types(extract1)).toEqual(['START', 'RUNNING', 'COMPLETE'])
      expect(types(load3)).toEqual(['START', 'FAIL'])

      // The job, the engine, the schedule and the orchestrator.
      const start1 = of(extract1)[0]
      expect(start1?.job).toMatchObject({
        namespace: 'demo',
        name: DEMO_EXTRACT,
        facets: { jobType: { processingType: 'BATCH', integration: 'PROCESSTRACKER', jobType: 'Extract' } },
      })
      expect(start1?.run.facets.processing_engine).toMatchObject({ name: 'Spark', version: 'unknown' })
      expect(start1?.run.facets.nominalTime).toMatchObject({ nominalStartTime: '2026-12-01T00:00:00.000Z' })
      for (const event of of(extract1)) {
        expect(event.run.facets.parent).toMatchObject({
          run: { runId: orchestrator.runId },
          job: { namespace: 'airflow', name: 'lahman.daily' },
        })
      }
      expect(last(extract1).run.facets.processTracker_run).toMatchObject({
        processTrackingId: extract1.processTrackingId,
        processRunId: 1,
        status: 'completed',
        recordCount: 18,
        lowDateTime: '2018-01-01T00:00:00.000Z',
        highDateTime: '2018-03-31T23:59:59.000Z',
        failureStreak: 0,
      })

      // Files: the writer's outputs are the reader's inputs, by the same identity.
      const fileNames = files1.map((file) => file.fullFilename).sort()
      const outputs = last(extract1).outputs.filter((dataset) => dataset.namespace === 'file')
      expect(outputs.map((dataset) => dataset.name).sort()).toEqual(fileNames)
      for (const dataset of outputs) {
        expect(dataset.facets?.datasetType?.datasetType).toBe('FILE')
        expect(dataset.outputFacets?.outputStatistics).toMatchObject({ rowCount: 6, fileCount: 1 })
      }
      expect(last(extract1).inputs).toEqual([{ namespace: 'https://www.seanlahman.com', name: 'Lahman' }]) // the source's uri
      const loadInputs = last(load1)
        .inputs.map((dataset) => `${dataset.namespace}:${dataset.name}`)
        .sort()
      expect(loadInputs).toEqual(fileNames.map((name) => `file:${name}`))
      const summaryPath = join(folders.warehouse, loaded.summary)
      expect(
        last(load1)
          .outputs.map((dataset) => dataset.name)
          .sort(),
      ).toEqual([summaryPath, 'team_wins'].sort())
      expect(last(report1).inputs.map((dataset) => `${dataset.namespace}:${dataset.name}`)).toEqual([`file:${summaryPath}`])

      // Dependencies: the parent job and its latest completed run.
      expect(last(load1).run.facets.jobDependencies?.upstream).toEqual([
        {
          job: { namespace: 'demo', name: DEMO_EXTRACT },
          run: { runId: extract1.runUuid },
          dependency_type: 'IMPLICIT_DEPENDENCY',
          sequence_trigger_rule: 'FINISH_TO_START',
          status_trigger_rule: 'EXECUTE_ON_SUCCESS',
        },
      ])
      expect(last(report1).run.facets.jobDependencies?.upstream).toMatchObject([
        { job: { namespace: 'demo', name: DEMO_LOAD }, run: { runId: load1.runUuid }, status_trigger_rule: 'EXECUTE_EVERY_TIME' },
      ])

      // Failures: the last error, named by its type; the hold as START then ABORT at one time.
      expect(last(load2)).toMatchObject({ eventType: 'FAIL' })
      expect(last(load2).run.facets.errorMessage).toMatchObject({
        message: 'Data Error: Row 42 out of range',
        programmingLanguage: 'Node.js',
      })
      expect(last(load2).run.facets.processTracker_run).toMatchObject({ status: 'failed', failureStreak: 1 })
      // Two holds: the load's (two failures), and the extract's (the reaped run, then the one failed by hand).
      const aborts = events.filter((event) => event.eventType === 'ABORT')
      expect(aborts.map((event) => event.job.name).sort()).toEqual([DEMO_EXTRACT, DEMO_LOAD].sort())
      const hold = aborts.find((event) => event.job.name === DEMO_LOAD)
      if (!hold) throw new Error('no ABORT')
      expect(hold.run.facets.processTracker_run).toMatchObject({ status: 'on hold', failureStreak: 2 })
      const holdEvents = events.filter((event) => event.run.runId === hold.run.runId)
      expect(holdEvents.map((event) => event.eventType)).toEqual(['START', 'ABORT'])
      expect(holdEvents[0]?.eventTime).toBe(hold.eventTime)
      expect(String(last(stale).run.facets.errorMessage?.message)).toMatch(/^Process Error: The run went stale/)
      expect(last(stuck).run.facets.errorMessage).toMatchObject({ message: 'Process Error: stuck on a lock', programmingLanguage: 'Spark' })
      // Every event carries the producer and the spec's schema URL.
      for (const event of events) {
        expect(event.producer).toMatch(/^https:\/\/github\.com\/.+\/tree\/v\d/)
        expect(event.schemaURL).toBe('https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent')
      }
    })
  })
}
