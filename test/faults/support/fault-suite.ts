/**
 * What every fault suite shares, whatever the database: the fleet of client processes (working ones,
 * paused victims to SIGKILL, paused clients with skewed clocks), its teardown with the summary table,
 * and the faults that do not depend on the server (none, SIGKILLed clients, clock skew).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { DataStore } from '../../../src/index.ts'
import { FaultFleet, formatTable, inspectorFor, type FaultRow, type Inspector } from './fault-harness.ts'

/** Settings of the fault suite's clients: short limits, so each fault is over in seconds. */
export const CLIENT_LIMITS = { lockTimeoutMs: 1000, statementTimeoutMs: 1500, poolSize: 2, slots: 2 }

/** Asserts that a fault left no raw error, no crash, no invariant violation and no lost write. */
export function expectClean(row: FaultRow): void {
  expect(row.raw, 'raw (uncoded) errors').toEqual([])
  expect(row.crashes, 'crashed clients').toEqual([])
  expect(row.violations, 'invariant violations').toEqual([])
  expect(row.lost, 'acknowledged writes lost').toEqual([])
}

/** The fleet of one suite; read its fields inside hooks and tests (they are set in a beforeAll). */
export interface Fleet {
  readonly fleet: FaultFleet
  /** Paused clients, SIGKILLed by the "SIGKILLed clients" fault. */
  readonly victims: ChildProcessWithoutNullStreams[]
  /** Paused clients two hours fast and two hours slow. */
  readonly skewed: ChildProcessWithoutNullStreams[]
}

/** How one suite reaches its database, and how many clients of each kind it starts. */
export interface FleetSetup {
  title: string
  dialect: 'sqlite' | 'postgresql' | 'mysql'
  processes: string[]
  working: number
  victims: number
  /** Prepares the database (e.g. starts a private server); returns its URL and, for SQLite, its file. */
  prepare(): Promise<{ url: string; inspect: string }>
  /** Runs after the fleet is stopped (e.g. stops the server, removes the file). */
  cleanUp(): Promise<void>
}

/**
 * Registers the hooks that migrate the store, start every client up front (starting Node on a busy
 * machine takes seconds) and, at the end, stop them and print the suite's table.
 */
export function useFaultFleet(setup: FleetSetup): Fleet {
  let fleet: FaultFleet | undefined
  let inspector: Inspector | undefined
  let victims: ChildProcessWithoutNullStreams[] = []
  let skewed: ChildProcessWithoutNullStreams[] = []

  beforeAll(async () => {
    const { url, inspect } = await setup.prepare()
    const store = await DataStore.open({ url, env: {} })
    await store.close()
    inspector = inspectorFor(setup.dialect, inspect)
    fleet = new FaultFleet({ url, processes: setup.processes, ...CLIENT_LIMITS }, inspector)
    const spawned = await Promise.all([
      fleet.spawn(setup.working),
      fleet.spawn(setup.victims, { paused: true }),
      fleet.spawn(1, { paused: true, clockSkewMs: 7_200_000 }),
      fleet.spawn(1, { paused: true, clockSkewMs: -7_200_000 }),
    ])
    victims = spawned[1]
    skewed = [...spawned[2], ...spawned[3]]
  }, 180_000)

  afterAll(async () => {
    await fleet?.stop()
    await inspector?.close()
    if (fleet) console.log(`\n${formatTable(setup.title, fleet.rows, fleet.acknowledged)}\n`)
    await setup.cleanUp()
  }, 120_000)

  return {
    get fleet() {
      if (!fleet) throw new Error('the fleet is started in beforeAll')
      return fleet
    },
    get victims() {
      return victims
    },
    get skewed() {
      return skewed
    },
  }
}

/** The fault-free baseline: the clients' lifecycles alone. */
export function itHasACleanBaseline(suite: Fleet): void {
  it('baseline: no fault', async () => {
    expectClean(await suite.fleet.fault('no fault (baseline)', () => sleep(500)))
  })
}

/** The faults of the clients themselves: SIGKILLed mid-work, and clocks two hours off. */
export function itSurvivesClientFaults(suite: Fleet): void {
  it('SIGKILLed clients', async () => {
    const { fleet, victims } = suite
    const row = await fleet.fault(`SIGKILLed clients ×${victims.length}`, async () => {
      fleet.go(victims)
      for (const [round, victim] of victims.entries()) {
        await sleep(200 + round * 150)
        await fleet.kill(victim)
      }
    })
    expectClean(row)
  })

  // Guards fix 6: with client clocks, a run of a client two hours fast ended before it started.
  it('clock skew (clients ±2 h)', async () => {
    const { fleet, skewed } = suite
    const row = await fleet.fault('clock skew ±2 h', async () => {
      fleet.go(skewed)
      await sleep(1500)
      await fleet.stop(skewed)
    })
    expectClean(row)
  })
}
