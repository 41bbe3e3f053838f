/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON, read freely */
import { describe, expect, it } from 'vitest'
import type { DataStore } from '../../src/index.ts'
import { contextOf } from '../../src/store/context.ts'
import { DIALECTS } from '../support/dialects.ts'
import { startApi } from '../server/support.ts'
import { useLineageStoreReceiverDown } from './lineage-store.ts'

/** The run's outbox events with the record count each snapshot, in order. */
async function events(store: DataStore, processTrackingId: number): Promise<[string, number | null][]> {
  const rows = await contextOf(store)
    .db.selectFrom('lineage_outbox')
    .select(['event_type', 'run_record_count'])
    .where('process_tracking_id', '=', processTrackingId)
    .orderBy('outbox_id')
    .execute()
  return rows.map((row) => [row.event_type, row.run_record_count === null ? null : Number(row.run_record_count)])
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: run writes over HTTP with lineage on`, () => {
    const fixture = useLineageStoreReceiverDown(dialect)

    it('write their events and answer with the run as a read shows it (PostgreSQL: from the write’s own statement)', async () => {
      const { store } = fixture
      const api = await startApi(store, { auth: false })
      try {
        const started = await api.call('POST', '/api/v1/runs', { body: { processName: 'Http lineage', processType: 'Extract' } })
        expect(started.status).toBe(201)
        const id = started.body.run.processTrackingId as number
        const base = `/api/v1/runs/${id}`
        const asRead = async () => (await api.call('GET', base)).body.run as unknown

        // The first change writes the run's RUNNING (in a transaction); the next ones are held 10 s.
        const counted = await api.call('PUT', `${base}/record-count`, { body: { count: 10 } })
        expect(counted.body.run.recordCount).toBe(10)
        expect(await asRead()).toEqual(counted.body.run)
        const recounted = await api.call('PUT', `${base}/record-count`, { body: { count: 25 } })
        expect(recounted.body.run.recordCount).toBe(25)
        expect(await asRead()).toEqual(recounted.body.run)
        const dated = await api.call('PUT', `${base}/dates`, { body: { low: '2026-03-01', high: '2026-03-31' } })
        expect(dated.body.run.lowDateTime).toBe('2026-03-01T00:00:00.000Z')
        expect(await asRead()).toEqual(dated.body.run)
        const beaten = await api.call('POST', `${base}/heartbeat`)
        expect(beaten.body.run.lastHeartbeatDateTime).not.toBeNull()
        expect(await asRead()).toEqual(beaten.body.run)
        const completed = await api.call('POST', `${base}/complete`)
        expect(completed.body.run).toMatchObject({ status: 'completed', recordCount: 25 })
        expect(await asRead()).toEqual(completed.body.run)

        expect(await events(store, id)).toEqual([
          ['START', 0],
          ['RUNNING', 10],
          ['COMPLETE', 25],
        ])
        // A completed run is not active: the write is refused and nothing more is written.
        const late = await api.call('PUT', `${base}/dates`, { body: { low: '2026-01-01' } })
        expect(late.status).toBe(409)
        expect(late.body.error.code).toBe('PT_RUN_NOT_ACTIVE')
        const lateBeat = await api.call('POST', `${base}/heartbeat`)
        expect(lateBeat.status).toBe(409)
        expect(lateBeat.body.error.code).toBe('PT_RUN_NOT_ACTIVE')
        expect(await events(store, id)).toHaveLength(3)
      } finally {
        await api.close()
      }
    })
  })
}
