import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { expectClean, itHasACleanBaseline, itSurvivesClientFaults, useFaultFleet } from './support/fault-suite.ts'

/**
 * The fault suite's SQLite cases: client processes share one database file while another
 * connection holds its write lock (with a write pending), clients are SIGKILLed mid-transaction, and
 * clients with skewed clocks join in.
 */
describe('fault suite: SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pt-faults-sqlite-'))
  const file = join(dir, 'tracker.db')
  const suite = useFaultFleet({
    title: 'Fault suite, sqlite',
    dialect: 'sqlite',
    processes: ['fault A', 'fault B', 'fault C', 'fault D'],
    working: 3,
    victims: 2,
    prepare: () => Promise.resolve({ url: `sqlite:${file}`, inspect: file }),
    cleanUp: () => {
      rmSync(dir, { recursive: true, force: true })
      return Promise.resolve()
    },
  })

  itHasACleanBaseline(suite)

  // Guards fix 5 on SQLite: the lock wait ends with PT_LOCK_TIMEOUT (and off the event loop).
  it('held write lock (another connection in BEGIN IMMEDIATE for 2.5 s)', async () => {
    const row = await suite.fleet.fault('held write lock 2.5 s', async () => {
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

  itSurvivesClientFaults(suite)
})
