import { beforeAll, describe, expect, it } from 'vitest'
import { ConflictError, NotFoundError, ProcessTracker, ProtectedRecordError, type DataStore } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { contextOf } from '../../src/store/context.ts'

for (const dialect of DIALECTS) {
  describe(`${dialect}: lookups, clusters and the process finders`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    beforeAll(() => {
      store = isolated.store
    })

    it('creates, renames, lists and deletes every topic, case-insensitively', async () => {
      for (const topic of [
        'actor',
        'Cluster',
        'CONTACT',
        'error type',
        'extract status',
        'process status',
        'process type',
        'source',
        'tool',
      ]) {
        await store.lookups.create(topic, `my ${topic}`)
        await store.lookups.create(topic, `my ${topic}`) // idempotent, like the Python get-or-create
        expect(await store.lookups.list(topic)).toContain(`my ${topic}`)
        await store.lookups.update(topic, `my ${topic}`, `our ${topic}`)
        expect(await store.lookups.list(topic)).toContain(`our ${topic}`)
        expect(await store.lookups.list(topic)).not.toContain(`my ${topic}`)
        await store.lookups.delete(topic, `our ${topic}`)
        expect(await store.lookups.list(topic)).not.toContain(`our ${topic}`)
      }
    })

    it('protects seeded rows with the Python messages', async () => {
      await expect(store.lookups.update('error type', 'Data Error', 'Bad Data')).rejects.toThrow(
        'The item could not be updated because it is a protected record.',
      )
      await expect(store.lookups.delete('process status', 'running')).rejects.toBeInstanceOf(ProtectedRecordError)
      await expect(store.lookups.delete('extract status', 'ready')).rejects.toThrow(
        'The item could not be deleted because it is a protected record.',
      )
    })

    it('refuses missing names, taken names and rows in use', async () => {
      await expect(store.lookups.update('tool', 'ghost', 'spirit')).rejects.toBeInstanceOf(NotFoundError)
      await expect(store.lookups.delete('tool', 'ghost')).rejects.toBeInstanceOf(NotFoundError)
      await store.lookups.create('tool', 'Spark 2')
      await store.lookups.create('tool', 'Spark 3')
      await expect(store.lookups.update('tool', 'Spark 2', 'Spark 3')).rejects.toBeInstanceOf(ConflictError)
      const run = await ProcessTracker.start(store, { processName: 'uses spark', processType: 'Extract', toolName: 'Spark 2' })
      await run.complete()
      await expect(store.lookups.delete('tool', 'Spark 2')).rejects.toBeInstanceOf(ConflictError)
      // A rename is seen by the next start (the id cache is cleared).
      await store.lookups.update('tool', 'Spark 2', 'Spark 2.4')
      expect((await store.getProcess('uses spark'))?.toolName).toBe('Spark 2.4')
    })

    it('stores contact and cluster extras, and links clusters to processes', async () => {
      await store.lookups.create('contact', 'Data Team', { email: 'data@example.com' })
      await store.lookups.create('cluster', 'spark-prod', { maxMemory: 512, memoryUnit: 'GB', maxProcessing: 64, processingUnit: 'CPU' })
      const run = await ProcessTracker.start(store, { processName: 'clustered', processType: 'Extract' })
      await run.complete()
      await store.addClusterProcess('spark-prod', 'clustered')
      await store.addClusterProcess('spark-prod', 'clustered')
      await expect(store.addClusterProcess('spark-prod', 'nope')).rejects.toBeInstanceOf(NotFoundError)
      await store.removeClusterProcess('spark-prod', 'clustered')
      await expect(store.removeClusterProcess('spark-prod', 'clustered')).rejects.toBeInstanceOf(NotFoundError)
      const row = await contextOf(store)
        .db.selectFrom('cluster_tracking_lkup')
        .selectAll()
        .where('cluster_name', '=', 'spark-prod')
        .executeTakeFirstOrThrow()
      expect(row).toMatchObject({ cluster_max_memory: 512, cluster_max_memory_unit: 'GB', cluster_max_processing: 64 })
    })

    it('finds attributes, filters and contacts with the Python shapes', async () => {
      const run = await ProcessTracker.start(store, {
        processName: 'attributes',
        processType: 'Load',
        sourceObjectAttributes: { Lahman: { 'Teams.csv': ['yearID', 'teamID'] } },
        targetObjectAttributes: { Warehouse: { teams: ['team_id'] } },
        datasetTypes: 'Baseball',
      })
      const db = contextOf(store).db
      const attr = await db
        .selectFrom('source_object_attribute_lkup')
        .select('source_object_attribute_id')
        .where('source_object_attribute_name', '=', 'teamID')
        .executeTakeFirstOrThrow()
      await db
        .updateTable('source_object_attribute_lkup')
        .set({ is_key: true })
        .where('source_object_attribute_id', '=', attr.source_object_attribute_id)
        .execute()
      const eq = await db
        .selectFrom('filter_type_lkup')
        .select('filter_type_id')
        .where('filter_type_code', '=', 'eq')
        .executeTakeFirstOrThrow()
      await db
        .insertInto('process_filter')
        .values({
          process_id: run.processId,
          source_object_attribute_id: attr.source_object_attribute_id,
          filter_type_id: eq.filter_type_id,
          filter_value_string: 'NYA',
          filter_value_numeric: null,
        })
        .execute()
      await store.lookups.create('contact', 'Lahman Owner', { email: 'owner@example.com' })
      const contact = await db
        .selectFrom('contact_lkup')
        .select('contact_id')
        .where('contact_name', '=', 'Lahman Owner')
        .executeTakeFirstOrThrow()
      const source = await db.selectFrom('source_lkup').select('source_id').where('source_name', '=', 'Lahman').executeTakeFirstOrThrow()
      await db.insertInto('source_contact').values({ source_id: source.source_id, contact_id: contact.contact_id }).execute()
      await db.insertInto('process_contact').values({ process_id: run.processId, contact_id: contact.contact_id }).execute()

      expect(await run.findProcessSourceAttributes()).toEqual([
        {
          sourceName: 'Lahman',
          sourceType: 'Undefined',
          sourceObjectName: 'Teams.csv',
          sourceObjectAttributeName: 'teamID',
          isKey: true,
          isFilter: false,
          isPartition: false,
        },
        {
          sourceName: 'Lahman',
          sourceType: 'Undefined',
          sourceObjectName: 'Teams.csv',
          sourceObjectAttributeName: 'yearID',
          isKey: false,
          isFilter: false,
          isPartition: false,
        },
      ])
      expect(await run.findProcessTargetAttributes()).toEqual([
        {
          targetName: 'Warehouse',
          targetType: 'Undefined',
          targetObjectName: 'teams',
          targetObjectAttributeName: 'team_id',
          isKey: false,
          isFilter: false,
          isPartition: false,
        },
      ])
      expect(await run.findProcessFilters()).toEqual([
        {
          sourceName: 'Lahman',
          sourceObjectName: 'Teams.csv',
          sourceObjectAttributeName: 'teamID',
          filterTypeCode: 'eq',
          filterValueNumeric: null,
          filterValueString: 'NYA',
        },
      ])
      expect(await run.findProcessContacts()).toEqual([
        { contactName: 'Lahman Owner', contactEmail: 'owner@example.com', contactType: 'source' },
        { contactName: 'Lahman Owner', contactEmail: 'owner@example.com', contactType: 'process' },
      ])
      // Every level given is linked: the source and the object as well as the attributes.
      const links = await db.selectFrom('process_source').selectAll().where('process_id', '=', run.processId).execute()
      expect(links).toHaveLength(1)
      const datasetLinks = await db.selectFrom('source_dataset_type').selectAll().where('source_id', '=', source.source_id).execute()
      expect(datasetLinks).toHaveLength(1)
      await run.complete()
    })
  })
}
