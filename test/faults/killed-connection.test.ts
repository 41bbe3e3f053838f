import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataStore, ExtractTracker, LocationTracker, ProcessTracker, ProcessTrackerError } from '../../src/index.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { TcpProxy } from './support/tcp-proxy.ts'

/**
 * Every public call, with its connection cut while the call is in flight (a TCP proxy between the
 * store and the server drops the connection as the first statement goes out). Each call must reject
 * with a coded ProcessTrackerError — never a raw driver error — and the process must not crash.
 *
 * Guards issue 8 fixes 1 and 2: without a listener on every pg client, the dropped connection is an
 * unhandled 'error' event (Vitest reports it and fails the run); without the translation of
 * code-less connection errors ("Connection terminated unexpectedly", "Can't add new command when
 * connection is in closed state") and of unrecognised driver errors, and `Lookups.list` wrapped,
 * raw driver errors come out.
 */
const SERVER_DIALECTS = DIALECTS.filter((name) => name !== 'sqlite')
// Without a PostgreSQL or MySQL URL there is no server connection to kill: say so, as a skipped suite
// (a file with no suite at all fails the run).
if (SERVER_DIALECTS.length === 0) {
  describe('killed connections', () => {
    it.skip('need PostgreSQL or MySQL (PROCESS_TRACKER_TEST_POSTGRES_URL / PROCESS_TRACKER_TEST_MYSQL_URL): SQLite has no connection to kill', () => {})
  })
}

for (const dialect of SERVER_DIALECTS) {
  describe(`${dialect}: every public call under a killed connection`, () => {
    let database: IsolatedDatabase
    let proxy: TcpProxy
    let store: DataStore
    let run: ProcessTracker
    let extract: ExtractTracker
    let location: LocationTracker
    const folder = mkdtempSync(join(tmpdir(), 'pt-walk-'))

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      const setup = await database.open()
      await setup.close()
      proxy = await TcpProxy.start(database.options.url)
      // One pooled connection: the call under test uses the connection warmed just before it.
      store = await database.open({ url: proxy.via(database.options.url), poolSize: 1, lockTimeoutMs: 2000 })
      run = await ProcessTracker.start(store, { processName: 'walk', processType: 'Extract', sources: 'S', targets: 'T' })
      extract = await ExtractTracker.register(run, { filename: 'a.csv', locationPath: folder })
      location = await LocationTracker.register(store, { locationPath: join(folder, 'other') })
      const other = await ProcessTracker.start(store, { processName: 'walk parent', processType: 'Extract' })
      await other.complete()
    })
    afterAll(async () => {
      proxy.dropOnNextSend = false
      await store.close()
      await proxy.close()
      await database.drop()
    })

    const calls: [string, () => Promise<unknown>][] = [
      [
        'DataStore.open',
        () => DataStore.open({ url: proxy.via(database.options.url), schema: database.options.schema, env: {}, homeDir: tmpdir() }),
      ],
      ['store.setup', () => store.setup()],
      ['lookups.create', () => store.lookups.create('actor', 'walker')],
      ['lookups.update', () => store.lookups.update('actor', 'walker', 'walker 2')],
      ['lookups.delete', () => store.lookups.delete('actor', 'walker')],
      ['lookups.list', () => store.lookups.list('actor')],
      ['addProcessDependency', () => store.addProcessDependency('walk parent', 'walk')],
      ['removeProcessDependency', () => store.removeProcessDependency('walk parent', 'walk')],
      ['addClusterProcess', () => store.addClusterProcess('c', 'walk')],
      ['removeClusterProcess', () => store.removeClusterProcess('c', 'walk')],
      ['releaseHold', () => store.releaseHold('walk')],
      ['failRun', () => store.failRun(run.processTrackingId)],
      ['reapStaleRuns', () => store.reapStaleRuns()],
      ['explain', () => store.explain('walk')],
      ['getProcess', () => store.getProcess('walk')],
      ['listRuns', () => store.listRuns({ processName: 'walk' })],
      ['listRunErrors', () => store.listRunErrors(run.processTrackingId)],
      ['listExtractHistory', () => store.listExtractHistory(extract.extractId)],
      ['findProcessesByScheduleFrequency', () => store.findProcessesByScheduleFrequency('daily')],
      ['defineProcess', () => store.defineProcess({ processName: 'walk defined', processType: 'Load' })],
      ['ProcessTracker.start', () => ProcessTracker.start(store, { processName: 'walk 2', processType: 'Load' })],
      ['ProcessTracker.resume', () => ProcessTracker.resume(store, run.processTrackingId)],
      ['ProcessTracker.track', () => ProcessTracker.track(store, { processName: 'walk 3', processType: 'Load' }, () => Promise.resolve(1))],
      ['run.refresh', () => run.refresh()],
      ['run.changeRunStatus', () => run.changeRunStatus('completed')],
      ['run.complete', () => run.complete()],
      ['run.fail', () => run.fail()],
      ['run.raiseRunError', () => run.raiseRunError('Data Error', { description: 'x' })],
      ['run.setRecordCount', () => run.setRecordCount(5)],
      ['run.setLowHighDates', () => run.setLowHighDates({ low: new Date('2020-01-01T00:00:00Z') })],
      ['run.heartbeat', () => run.heartbeat()],
      ['run.findProcessContacts', () => run.findProcessContacts()],
      ['run.findProcessFilters', () => run.findProcessFilters()],
      ['run.findProcessSourceAttributes', () => run.findProcessSourceAttributes()],
      ['run.findProcessTargetAttributes', () => run.findProcessTargetAttributes()],
      ['run.changeExtractStatuses', () => run.changeExtractStatuses([extract], 'ready')],
      ['run.findExtractsByFilename', () => run.findExtractsByFilename('a.csv')],
      ['run.findExtractsByLocation', () => run.findExtractsByLocation({ locationPath: folder })],
      ['run.findExtractsByProcess', () => run.findExtractsByProcess('walk')],
      ['run.claimExtracts', () => run.claimExtracts({ locationPath: folder, limit: 1 })],
      ['run.registerExtractsByLocation', () => run.registerExtractsByLocation(folder)],
      ['ExtractTracker.register', () => ExtractTracker.register(run, { filename: 'b.csv', locationPath: folder })],
      ['ExtractTracker.registerMany', () => ExtractTracker.registerMany(run, [{ filename: 'c.csv', locationPath: folder }])],
      ['ExtractTracker.get', () => ExtractTracker.get(run, extract.extractId)],
      ['extract.changeExtractStatus', () => extract.changeExtractStatus('ready')],
      ['extract.setLowHighDates', () => extract.setLowHighDates({ low: new Date('2020-01-01T00:00:00Z') })],
      ['extract.setRecordCount', () => extract.setRecordCount(3)],
      ['LocationTracker.register', () => LocationTracker.register(store, { locationPath: join(folder, 'third') })],
      ['LocationTracker.get', () => LocationTracker.get(store, location.locationId)],
      ['location.setFileCount', () => location.setFileCount(2)],
    ]
    // The 0.2 read model, where this build has it.
    const readModel = [
      'listRunViews',
      'getRun',
      'countRuns',
      'listProcesses',
      'getProcessView',
      'getDependencyGraph',
      'listExtracts',
      'getExtract',
      'listLocations',
      'counts',
    ]
    const argumentsOf: Record<string, () => unknown[]> = {
      getRun: () => [run.processTrackingId],
      getProcessView: () => ['walk'],
      getExtract: () => [extract.extractId],
      countRuns: () => [{}],
    }
    for (const name of readModel) {
      calls.push([
        `store.${name}`,
        () => {
          const method = (store as unknown as Record<string, unknown>)[name]
          if (typeof method !== 'function') return Promise.reject(new ProcessTrackerError('PT_NOT_FOUND', `${name} is not in this build`))
          return (method as (...args: unknown[]) => Promise<unknown>).apply(store, argumentsOf[name]?.() ?? [])
        },
      ])
    }

    it.each(calls)('%s rejects with a coded error when its connection dies mid-call', async (_name, call) => {
      proxy.dropOnNextSend = false
      await store.getProcess('walk') // warms the pooled connection the call will use
      proxy.dropOnNextSend = true
      const error = await call().then(
        () => null,
        (thrown: unknown) => thrown,
      )
      proxy.dropOnNextSend = false
      expect(error, 'the call must fail: its connection was cut').not.toBeNull()
      expect(error).toBeInstanceOf(ProcessTrackerError)
      expect((error as ProcessTrackerError).code).toMatch(/^PT_/)
      // The store works again once the network is back.
      expect(await store.getProcess('walk')).not.toBeNull()
    })
  })
}
