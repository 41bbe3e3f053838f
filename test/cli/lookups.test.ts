import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessOnHoldError, ProcessTracker, type DataStore } from '../../src/index.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { cleanEnv, stackLines, storeArgs, tempHome, type CliResult } from './cli.ts'
import { runInProcess } from './in-process.ts'

const PROTECTED_UPDATE = 'Error: The item could not be updated because it is a protected record.'
const PROTECTED_DELETE = 'Error: The item could not be deleted because it is a protected record.'

for (const dialect of DIALECTS) {
  describe(`${dialect}: processtracker setup, create, update, delete`, () => {
    let database: IsolatedDatabase
    let store: DataStore
    let home: ReturnType<typeof tempHome>
    let pt: (...args: string[]) => Promise<CliResult>

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      home = tempHome()
      const env = cleanEnv(home.path)
      pt = (...args) => runInProcess([...storeArgs(database), ...args], { env })
      // Any command creates the schema; setup says so explicitly. Its --overwrite runs last (below).
      expect((await pt('setup')).code).toBe(0)
      store = await database.open()
    })
    afterAll(async () => {
      await store.close()
      await database.drop()
      home.dispose()
    })

    /** A process with one completed run (processes are created by their first start). */
    async function process(name: string): Promise<void> {
      const run = await ProcessTracker.start(store, { processName: name, processType: 'Extract' })
      await run.complete()
    }

    function ok(result: CliResult): void {
      expect(result.stderr).not.toMatch(/^Error/m)
      expect(result.code).toBe(0)
    }

    function failed(result: CliResult, message: string, code = 1): void {
      expect(result.code).toBe(code)
      expect(result.stderr).toContain(message)
      expect(stackLines(result.stderr)).toEqual([])
    }

    it('creates, renames and deletes the simple topics, case-insensitively', async () => {
      // One topic per command chain, all at once: they touch different tables.
      const topics = ['actor', 'Error Type', 'EXTRACT STATUS', 'process type', 'Source', 'tool']
      await Promise.all(
        topics.map(async (topic) => {
          const create = await pt('create', '-t', topic, '-n', `cli ${topic}`)
          ok(create)
          expect(create.stderr).toContain(`Attempting to create ${topic.toLowerCase()} with name cli ${topic}`)
          expect(await store.lookups.list(topic)).toContain(`cli ${topic}`)
          ok(await pt('create', '-t', topic, '-n', `cli ${topic}`)) // exists: nothing changes
          const update = await pt('update', '-t', topic, '-i', `cli ${topic}`, '-n', `renamed ${topic}`)
          ok(update)
          expect(update.stderr).toContain(`Attempting to update ${topic.toLowerCase()} with name cli ${topic} to renamed ${topic}`)
          expect(await store.lookups.list(topic)).toEqual(expect.arrayContaining([`renamed ${topic}`]))
          expect(await store.lookups.list(topic)).not.toContain(`cli ${topic}`)
          const remove = await pt('delete', '-t', topic, '-n', `renamed ${topic}`)
          ok(remove)
          expect(remove.stderr).toContain(`Attempting to delete ${topic.toLowerCase()} with name renamed ${topic}`)
          expect(await store.lookups.list(topic)).not.toContain(`renamed ${topic}`)
        }),
      )
    })

    it('contact takes --email, cluster its sizes, process status --category', async () => {
      ok(await pt('create', '-t', 'contact', '-n', 'Data Team', '--email', 'data@example.com'))
      ok(await pt('update', '-t', 'contact', '-i', 'Data Team', '-n', 'Data Crew', '--email', 'crew@example.com'))
      ok(await pt('update', '-t', 'contact', '-i', 'Data Crew', '--email', 'crew2@example.com'))
      expect(await store.lookups.list('contact')).toContain('Data Crew')
      ok(await pt('delete', '-t', 'contact', '-n', 'Data Crew'))

      ok(
        await pt(
          'create',
          '-t',
          'cluster',
          '-n',
          'spark',
          '--max-memory',
          '64',
          '--memory-unit',
          'GB',
          '--max-processing',
          '16',
          '--processing-unit',
          'CPU',
        ),
      )
      ok(await pt('update', '-t', 'cluster', '-i', 'spark', '-n', 'spark-prod', '--max-memory', '128'))
      expect(await store.lookups.list('cluster')).toContain('spark-prod')
      ok(await pt('delete', '-t', 'cluster', '-n', 'spark-prod'))

      ok(await pt('create', '-t', 'process status', '-n', 'validating', '--category', 'active'))
      ok(await pt('update', '-t', 'process status', '-i', 'validating', '-n', 'checking'))
      ok(await pt('delete', '-t', 'process status', '-n', 'checking'))
      expect(await store.lookups.list('process status')).not.toContain('checking')

      failed(await pt('create', '-t', 'actor', '-n', 'x', '--email', 'a@b'), '--email does not apply to topic actor', 2)
      failed(await pt('create', '-t', 'cluster', '-n', 'x', '--max-memory', 'lots'), "'lots' is invalid", 2)
      failed(await pt('create', '-t', 'process status', '-n', 'x', '--category', 'sideways'), 'sideways', 2)
    })

    it('cluster process takes --cluster C -c PROCESS; update is refused as protected', async () => {
      await process('clustered job')
      ok(await pt('create', '-t', 'cluster', '-n', 'batch'))
      ok(await pt('create', '-t', 'cluster process', '--cluster', 'batch', '-c', 'clustered job'))
      ok(await pt('create', '-t', 'Cluster Process', '--cluster', 'batch', '-c', 'clustered job'))
      failed(await pt('update', '-t', 'cluster process', '--cluster', 'batch', '-c', 'clustered job'), PROTECTED_UPDATE)
      ok(await pt('delete', '-t', 'cluster process', '--cluster', 'batch', '-c', 'clustered job'))
      failed(await pt('delete', '-t', 'cluster process', '--cluster', 'batch', '-c', 'clustered job'), 'is not in cluster batch')
      failed(
        await pt('create', '-t', 'cluster process', '--cluster', 'batch', '-c', 'no such job'),
        'The process no such job does not exist.',
      )
      failed(await pt('create', '-t', 'cluster process', '--cluster', 'no such cluster', '-c', 'clustered job'), 'no such cluster')
      failed(await pt('create', '-t', 'cluster process', '-c', 'clustered job'), 'needs --cluster', 2)
      failed(await pt('create', '-t', 'cluster process', '--cluster', 'batch'), 'needs -c PROCESS', 2)
    })

    it('process dependency takes -p PARENT -c CHILD [--type]; a cycle is refused', async () => {
      await process('dep parent')
      await process('dep child')
      ok(await pt('create', '-t', 'process dependency', '-p', 'dep parent', '-c', 'dep child'))
      const blocked = await ProcessTracker.start(store, { processName: 'dep parent' })
      await blocked.fail()
      expect((await store.explain('dep child')).rule).toBe('dependency')
      await (await ProcessTracker.start(store, { processName: 'dep parent' })).complete()

      const cycle = await pt('create', '-t', 'process dependency', '-p', 'dep child', '-c', 'dep parent')
      failed(cycle, 'would create a cycle')
      failed(await pt('create', '-t', 'process dependency', '-p', 'dep child', '-c', 'dep child'), 'cannot depend on itself')
      failed(await pt('update', '-t', 'process dependency', '-p', 'dep parent', '-c', 'dep child'), PROTECTED_UPDATE)
      ok(await pt('create', '-t', 'process dependency', '-p', 'dep parent', '-c', 'dep child', '--type', 'Soft'))
      ok(await pt('delete', '-t', 'process dependency', '-p', 'dep parent', '-c', 'dep child'))
      failed(await pt('delete', '-t', 'process dependency', '-p', 'dep parent', '-c', 'dep child'), 'does not depend on')
      failed(await pt('create', '-t', 'process dependency', '-p', 'dep parent'), 'needs -c CHILD', 2)
      failed(await pt('create', '-t', 'process dependency', '-p', 'nobody', '-c', 'dep child'), 'The process nobody does not exist.')
    })

    it('update -t "process run" -n NAME releases an on-hold process', async () => {
      const strict = await database.open({ maxConcurrentFailures: 1 })
      try {
        const run = await ProcessTracker.start(strict, { processName: 'held job', processType: 'Load' })
        await run.fail()
        await expect(ProcessTracker.start(strict, { processName: 'held job' })).rejects.toBeInstanceOf(ProcessOnHoldError)
      } finally {
        await strict.close()
      }
      expect((await store.listRuns({ processName: 'held job', limit: 1 }))[0]?.status).toBe('on hold')

      const release = await pt('update', '-t', 'Process Run', '-n', 'held job')
      ok(release)
      expect(release.stderr).toContain('Attempting to update process run with name held job')
      const [latest] = await store.listRuns({ processName: 'held job', limit: 1 })
      expect(latest?.status).toBe('released') // since 0.2: a release is not a success
      expect(release.stderr).toContain(`run ${latest?.processRunId} of held job (tracking id ${latest?.processTrackingId}) is now released`)
      expect((await store.explain('held job')).allowed).toBe(true)

      failed(await pt('update', '-t', 'process run', '-n', 'held job'), 'The process held job is not on hold.')
      failed(await pt('update', '-t', 'process run'), 'needs -n PROCESS_NAME', 2)
      const json = await pt('--json', 'update', '-t', 'process run', '-n', 'held job')
      expect(json.code).toBe(1)
    })

    it('process run cannot be created or deleted', async () => {
      failed(await pt('create', '-t', 'process run', '-n', 'held job'), 'Error: Invalid topic type.')
      // Not a "protected record": say what to do instead.
      const deleted = await pt('delete', '-t', 'process run', '-n', 'held job')
      failed(deleted, 'A process run cannot be deleted')
      expect(deleted.stderr).not.toContain('protected record')
    })

    it('refuses to change protected seed rows with the Python messages, exit 1', async () => {
      const seeds: [string, string][] = [
        ['error type', 'Data Error'],
        ['extract status', 'ready'],
        ['process status', 'on hold'],
        ['process type', 'Extract'],
      ]
      await Promise.all(
        seeds.map(async ([topic, name]) => {
          const update = await pt('update', '-t', topic, '-i', name, '-n', `${name} 2`)
          failed(update, PROTECTED_UPDATE)
          expect(update.stderr.split('\n').filter((line) => line.startsWith('Error'))).toEqual([PROTECTED_UPDATE])
          failed(await pt('delete', '-t', topic, '-n', name), PROTECTED_DELETE)
          expect(await store.lookups.list(topic)).toContain(name)
        }),
      )
    })

    it('an unknown topic, a missing option, a missing name or a rename to a taken name is an error, never exit 0', async () => {
      const unknown = await pt('create', '-t', 'process', '-n', 'x')
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toContain('Invalid topic "process"')
      expect(unknown.stderr).toContain('actor, cluster, cluster process')
      for (const args of [
        ['create', '-t', 'actor'],
        ['create', '-n', 'x'],
        ['update', '-t', 'tool', '-n', 'x'],
        ['update', '-t', 'tool', '-i', 'x'],
        ['delete', '-t', 'tool'],
        ['create', '-t'],
      ]) {
        const result = await pt(...args)
        expect(result.code, args.join(' ')).toBe(2)
        expect(stackLines(result.stderr)).toEqual([])
      }
      failed(await pt('delete', '-t', 'tool', '-n', 'ghost'), 'The tool ghost does not exist.')
      failed(await pt('update', '-t', 'tool', '-i', 'ghost', '-n', 'spirit'), 'The tool ghost does not exist.')
      ok(await pt('create', '-t', 'tool', '-n', 'Spark 2'))
      ok(await pt('create', '-t', 'tool', '-n', 'Spark 3'))
      failed(await pt('update', '-t', 'tool', '-i', 'Spark 2', '-n', 'Spark 3'), 'already exists')
    })

    it('deleting a row still in use is refused; --json reports a change on stdout', async () => {
      const run = await ProcessTracker.start(store, { processName: 'busy tool job', processType: 'Extract', toolName: 'Busy Tool' })
      await run.complete()
      failed(await pt('delete', '-t', 'tool', '-n', 'Busy Tool'), 'still in use')
      const json = await pt('--json', 'create', '-t', 'source', '-n', 'json source')
      ok(json)
      expect(JSON.parse(json.stdout)).toEqual({ action: 'create', topic: 'source', name: 'json source' })
      const quiet = await pt('--quiet', 'delete', '-t', 'source', '-n', 'json source')
      ok(quiet)
      expect(quiet.stderr).toBe('')
    })

    // Last: it drops every table, and the other tests' rows with them.
    it('setup keeps data; setup -o, --overwrite and -o true recreate the tables', async () => {
      ok(await pt('create', '-t', 'actor', '-n', 'kept'))
      const setup = await pt('setup')
      ok(setup)
      expect(setup.stderr).toContain('Attempting to initialize data store...')
      expect(await store.lookups.list('actor')).toContain('kept')
      // Not on a terminal, erasing the history needs --yes (cli.md since 0.2).
      ok(await pt('create', '-t', 'actor', '-n', 'doomed'))
      failed(await pt('setup', '-o'), '--yes', 2)
      expect(await store.lookups.list('actor')).toContain('doomed')
      for (const flags of [['-o'], ['--overwrite'], ['-o', 'true'], ['-o', 'True']]) {
        ok(await pt('create', '-t', 'actor', '-n', 'doomed'))
        ok(await pt('setup', ...flags, '--yes'))
        expect(await store.lookups.list('actor')).not.toContain('doomed')
      }
      ok(await pt('create', '-t', 'actor', '-n', 'survivor'))
      ok(await pt('setup', '-o', 'false'))
      expect(await store.lookups.list('actor')).toContain('survivor')
    })
  })
}
