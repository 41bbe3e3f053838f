import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataStore } from '../../../src/index.ts'
import { FaultFleet, formatTable, inspectorFor, type FaultRow, type Inspector } from './fault-harness.ts'
import { privateServersAvailable, startPrivateMariadb, startPrivatePostgres, type PrivateServer } from './private-servers.ts'

/** Settings of the fault suite's clients: short limits, so each fault is over in seconds. */
export const CLIENT_LIMITS = { lockTimeoutMs: 1000, statementTimeoutMs: 1500, poolSize: 2, slots: 2 }
/** The driver's limit for those settings (statement limit plus grace; see driverLimitMs). */
const DRIVER_LIMIT_MS = 3000
const SHARED_PROCESSES = ['fault A', 'fault B', 'fault C', 'fault D', 'fault E', 'fault F']

/** Asserts that a fault left no raw error, no crash, no invariant violation and no lost write. */
export function expectClean(row: FaultRow): void {
  expect(row.raw, 'raw (uncoded) errors').toEqual([])
  expect(row.crashes, 'crashed clients').toEqual([])
  expect(row.violations, 'invariant violations').toEqual([])
  expect(row.lost, 'acknowledged writes lost').toEqual([])
}

/** Holds a table lock on `process_tracking` for `ms` in a session of its own. */
async function holdTableLock(server: PrivateServer, ms: number): Promise<void> {
  if (server.kind === 'postgresql') {
    const client = new pg.Client({ connectionString: server.url })
    client.on('error', () => undefined)
    await client.connect()
    await client.query('begin')
    await client.query('lock table process_tracking in access exclusive mode')
    await sleep(ms)
    await client.query('rollback')
    await client.end()
    return
  }
  const connection = await mysql.createConnection(server.url)
  await connection.query('lock tables process_tracking write')
  await sleep(ms)
  await connection.query('unlock tables')
  await connection.end()
}

/**
 * The fault suite against one private server: client processes run lifecycles on a few shared
 * processes (so starts contend) while the server is restarted, its connections killed, frozen,
 * locked, its pool exhausted, its clients SIGKILLed, and clients with skewed clocks join in.
 */
export function defineServerFaultSuite(kind: 'postgresql' | 'mysql'): void {
  const available = privateServersAvailable()[kind]
  describe.skipIf(!available)(`fault suite: private ${kind === 'postgresql' ? 'PostgreSQL 15' : 'MariaDB'}`, () => {
    let server: PrivateServer
    let fleet: FaultFleet
    let inspector: Inspector
    let victims: ChildProcessWithoutNullStreams[]
    let skewed: ChildProcessWithoutNullStreams[]

    beforeAll(async () => {
      server = kind === 'postgresql' ? await startPrivatePostgres() : await startPrivateMariadb()
      const store = await DataStore.open({ url: server.url, env: {} })
      await store.close()
      inspector = inspectorFor(kind, server.url)
      fleet = new FaultFleet({ url: server.url, processes: SHARED_PROCESSES, ...CLIENT_LIMITS }, inspector)
      // Every client is started up front: starting Node on a busy machine takes seconds.
      const spawned = await Promise.all([
        fleet.spawn(4),
        fleet.spawn(3, { paused: true }),
        fleet.spawn(1, { paused: true, clockSkewMs: 7_200_000 }),
        fleet.spawn(1, { paused: true, clockSkewMs: -7_200_000 }),
      ])
      victims = spawned[1]
      skewed = [...spawned[2], ...spawned[3]]
    }, 180_000)

    afterAll(async () => {
      await fleet.stop()
      await inspector.close()
      console.log(`\n${formatTable(`Fault suite, ${kind}`, fleet.rows, fleet.acknowledged)}\n`)
      await server.stop()
    }, 120_000)

    it('baseline: no fault', async () => {
      expectClean(await fleet.fault('no fault (baseline)', () => sleep(500)))
    })

    const restarts = kind === 'postgresql' ? (['fast', 'immediate', 'kill'] as const) : (['fast', 'kill'] as const)
    for (const mode of restarts) {
      // Guards fix 1 (pg: the dropped connection was an uncaughtException) and fix 2 (raw errors).
      it(`restart (${mode === 'kill' ? 'kill -9' : mode})`, async () => {
        expectClean(await fleet.fault(`restart ${mode === 'kill' ? 'kill -9' : mode}`, () => server.restart(mode)))
      })
    }

    it('killed connections (pg_terminate_backend / KILL CONNECTION)', async () => {
      let killed = 0
      const row = await fleet.fault(kind === 'postgresql' ? 'pg_terminate_backend ×25 rounds' : 'KILL CONNECTION ×25 rounds', async () => {
        for (let round = 0; round < 25; round++) {
          killed += await server.killConnections()
          await sleep(60)
        }
      })
      row.fault += ` (${killed} connections)`
      expectClean(row)
    })

    // Guards fix 5: a statement on a frozen server ends at the driver's limit with a coded error
    // instead of hanging as long as the freeze.
    it('frozen server (SIGSTOP, longer than the driver limit)', async () => {
      let endedWhileFrozen = 0
      const row = await fleet.fault(`frozen server ${(DRIVER_LIMIT_MS + 1500) / 1000} s`, async () => {
        server.freeze()
        const before = row0().calls
        await sleep(DRIVER_LIMIT_MS + 1500)
        endedWhileFrozen = row0().calls - before
        server.thaw()
      })
      expectClean(row)
      expect(endedWhileFrozen, 'calls that ended (with a code) while the server was frozen').toBeGreaterThan(0)
    })

    // Guards fix 5 (MariaDB lock_wait_timeout; pool wait bounded) and fix 4's premise.
    it('held table lock with an exhausted pool', async () => {
      const row = await fleet.fault('held table lock 2.5 s, pool of 2 per client', () => holdTableLock(server, 2500))
      expectClean(row)
      expect(row.codes.get('PT_LOCK_TIMEOUT') ?? 0).toBeGreaterThan(0)
    })

    it('SIGKILLed clients', async () => {
      const row = await fleet.fault('SIGKILLed clients ×3', async () => {
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
      const row = await fleet.fault('clock skew ±2 h', async () => {
        fleet.go(skewed)
        await sleep(1500)
        await fleet.stop(skewed)
      })
      expectClean(row)
    })

    const row0 = () => fleet.rows[fleet.rows.length - 1] ?? { calls: 0 }
  })
}
