import { setTimeout as sleep } from 'node:timers/promises'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { expectClean, itHasACleanBaseline, itSurvivesClientFaults, useFaultFleet } from './fault-suite.ts'
import { privateServersAvailable, startPrivateMariadb, startPrivatePostgres, type PrivateServer } from './private-servers.ts'

/** The driver's limit for the clients' settings (statement limit plus grace; see driverLimitMs). */
const DRIVER_LIMIT_MS = 3000
const SHARED_PROCESSES = ['fault A', 'fault B', 'fault C', 'fault D', 'fault E', 'fault F']

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
    const suite = useFaultFleet({
      title: `Fault suite, ${kind}`,
      dialect: kind,
      processes: SHARED_PROCESSES,
      working: 4,
      victims: 3,
      prepare: async () => {
        server = kind === 'postgresql' ? await startPrivatePostgres() : await startPrivateMariadb()
        return { url: server.url, inspect: server.url }
      },
      cleanUp: () => server.stop(),
    })

    itHasACleanBaseline(suite)

    const restarts = kind === 'postgresql' ? (['fast', 'immediate', 'kill'] as const) : (['fast', 'kill'] as const)
    for (const mode of restarts) {
      // Guards fix 1 (pg: the dropped connection was an uncaughtException) and fix 2 (raw errors).
      it(`restart (${mode === 'kill' ? 'kill -9' : mode})`, async () => {
        expectClean(await suite.fleet.fault(`restart ${mode === 'kill' ? 'kill -9' : mode}`, () => server.restart(mode)))
      })
    }

    it('killed connections (pg_terminate_backend / KILL CONNECTION)', async () => {
      let killed = 0
      const row = await suite.fleet.fault(
        kind === 'postgresql' ? 'pg_terminate_backend ×25 rounds' : 'KILL CONNECTION ×25 rounds',
        async () => {
          for (let round = 0; round < 25; round++) {
            killed += await server.killConnections()
            await sleep(60)
          }
        },
      )
      row.fault += ` (${killed} connections)`
      expectClean(row)
    })

    // Guards fix 5: a statement on a frozen server ends at the driver's limit with a coded error
    // instead of hanging as long as the freeze.
    it('frozen server (SIGSTOP, longer than the driver limit)', async () => {
      let endedWhileFrozen = 0
      const row = await suite.fleet.fault(`frozen server ${(DRIVER_LIMIT_MS + 1500) / 1000} s`, async () => {
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
      const row = await suite.fleet.fault('held table lock 2.5 s, pool of 2 per client', () => holdTableLock(server, 2500))
      expectClean(row)
      expect(row.codes.get('PT_LOCK_TIMEOUT') ?? 0).toBeGreaterThan(0)
    })

    itSurvivesClientFaults(suite)

    const row0 = () => suite.fleet.rows[suite.fleet.rows.length - 1] ?? { calls: 0 }
  })
}
