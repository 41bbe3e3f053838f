import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataStore } from '../../src/index.ts'
import { FaultFleet, formatTable, inspectorFor, type Inspector } from './support/fault-harness.ts'
import { CLIENT_LIMITS, expectClean } from './support/server-suite.ts'

/**
 * The fault suite's SQLite cases: client processes share one database file while another
 * connection holds its write lock (with a write pending), clients are SIGKILLed mid-transaction, and
 * clients with skewed clocks join in.
 */
describe('fault suite: SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pt-faults-sqlite-'))
  const file = join(dir, 'tracker.db')
  let fleet: FaultFleet
  let inspector: Inspector
  let victims: ChildProcessWithoutNullStreams[]
  let skewed: ChildProcessWithoutNullStreams[]

  beforeAll(async () => {
    const store = await DataStore.open({ url: `sqlite:${file}`, env: {} })
    await store.close()
    inspector = inspectorFor('sqlite', file)
    fleet = new FaultFleet({ url: `sqlite:${file}`, processes: ['fault A', 'fault B', 'fault C', 'fault D'], ...CLIENT_LIMITS }, inspector)
    const spawned = await Promise.all([
      fleet.spawn(3),
      fleet.spawn(2, { paused: true }),
      fleet.spawn(1, { paused: true, clockSkewMs: 7_200_000 }),
      fleet.spawn(1, { paused: true, clockSkewMs: -7_200_000 }),
    ])
    victims = spawned[1]
    skewed = [...spawned[2], ...spawned[3]]
  }, 180_000)

  afterAll(async () => {
    await fleet.stop()
    await inspector.close()
    console.log(`\n${formatTable('Fault suite, sqlite', fleet.rows, fleet.acknowledged)}\n`)
    rmSync(dir, { recursive: true, force: true })
  }, 120_000)

  it('baseline: no fault', async () => {
    expectClean(await fleet.fault('no fault (baseline)', () => sleep(500)))
  })

  // Guards fix 5 on SQLite: the lock wait ends with PT_LOCK_TIMEOUT (and off the event loop).
  it('held write lock (another connection in BEGIN IMMEDIATE for 2.5 s)', async () => {
    const row = await fleet.fault('held write lock 2.5 s', async () => {
      const holder = new Database(file, { timeout: 10_000 })
      holder.exec('begin immediate')
      // A write pending in the held transaction, as a crashed-looking writer would leave it.
      holder.exec("update system_lkup set system_value = system_value where system_key = 'version'")
      await sleep(2500)
      holder.exec('rollback')
      holder.close()
    })
    expectClean(row)
    expect(row.codes.get('PT_LOCK_TIMEOUT') ?? 0).toBeGreaterThan(0)
  })

  it('SIGKILLed clients', async () => {
    const row = await fleet.fault('SIGKILLed clients ×2', async () => {
      fleet.go(victims)
      for (const [round, victim] of victims.entries()) {
        await sleep(200 + round * 150)
        await fleet.kill(victim)
      }
    })
    expectClean(row)
  })

  it('clock skew (clients ±2 h)', async () => {
    const row = await fleet.fault('clock skew ±2 h', async () => {
      fleet.go(skewed)
      await sleep(1500)
      await fleet.stop(skewed)
    })
    expectClean(row)
  })
})
