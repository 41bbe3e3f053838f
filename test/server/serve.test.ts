/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON, read freely */
/**
 * `processtracker serve` as users run it (the built package in child processes): the listening
 * line, tokens from the CLI, a Python urllib client, graceful SIGTERM, --no-auth only on loopback,
 * and two servers on one PostgreSQL / MariaDB database with 16 racing clients: one winner a round.
 * Run `npm run build` first.
 */
import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, cli, requireBuild, storeArgs } from '../cli/cli.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { client, ServeProcess } from './support.ts'

const PYTHON_CLIENT = fileURLToPath(new URL('./python_client.py', import.meta.url))

describe.each(DIALECTS)('%s: processtracker serve', (dialect) => {
  let database: IsolatedDatabase
  let token = ''
  const env = cleanEnv('/nonexistent')
  beforeAll(async () => {
    requireBuild()
    database = await createIsolatedDatabase(dialect)
    const setup = await cli([...storeArgs(database), 'setup', '--yes'], env)
    expect(setup.code, setup.stderr).toBe(0)
    const created = await cli([...storeArgs(database), 'token', 'create', 'python', '--scope', 'write'], env)
    expect(created.code, created.stderr).toBe(0)
    token = created.stdout.trim().split('\n')[0] ?? ''
  })
  afterAll(async () => {
    await database.drop()
  })

  it('token create/list/revoke from the CLI; list never shows a secret', async () => {
    const listed = await cli([...storeArgs(database), 'token', 'list'], env)
    expect(listed.stdout).toMatch(/python\twrite/)
    expect(listed.stdout).not.toContain(token)
    const extra = await cli([...storeArgs(database), 'token', 'create', 'temp', '--scope', 'read'], env)
    expect(extra.stdout).toMatch(/^pt_/)
    expect((await cli([...storeArgs(database), 'token', 'revoke', 'temp'], env)).code).toBe(0)
    const json = JSON.parse((await cli([...storeArgs(database), '--json', 'token', 'list'], env)).stdout) as {
      tokens: { name: string; revokedAt: string | null }[]
    }
    expect(json.tokens.find((t) => t.name === 'temp')?.revokedAt).toMatch(/^\d{4}-/)
    expect((await cli([...storeArgs(database), 'token', 'create', 'bad', '--scope', 'root'], env)).code).toBe(2)
  })

  it('a Python urllib client drives a whole lifecycle', async () => {
    const serve = await ServeProcess.start(database)
    try {
      const { stdout } = await promisify(execFile)('python3', [PYTHON_CLIENT, serve.base, token])
      expect(JSON.parse(stdout)).toEqual({
        start: 201,
        retry: true,
        refused: 'PT_PROCESS_RUNNING',
        heartbeat: 200,
        count: 1234,
        extract: 201,
        complete: 'completed',
        read: 1,
      })
    } finally {
      expect(await serve.stop()).toBe(0)
    }
  })

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const serve = await ServeProcess.start(database)
    const url = new URL('/api/v1/runs', serve.base)
    const body = JSON.stringify({ processName: 'Drained', processType: 'Load' })
    const answer = new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            expect: '100-continue',
          },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      // The server answers `100 Continue` once it has the request's headers: the request is then in
      // flight. SIGTERM lands, and only then is the body sent.
      req.on('continue', () => {
        serve.child.kill('SIGTERM')
        setTimeout(() => req.end(body), 300)
      })
      req.flushHeaders()
    })
    expect(await answer).toBe(201)
    // The server may already be gone: its exit is then recorded on the child.
    const code =
      serve.child.exitCode ??
      (await new Promise<number | null>((resolve) => {
        serve.child.once('exit', (exitCode: number | null) => {
          resolve(exitCode)
        })
      }))
    expect(code).toBe(0)
  })

  it('--no-auth is refused (exit 2) unless the host is a loopback address, and said on stderr', async () => {
    const refused = await cli([...storeArgs(database), 'serve', '--no-auth', '--host', '0.0.0.0', '--port', '0'], env)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/--no-auth/)
    const open = await ServeProcess.start(database, ['--no-auth'])
    try {
      expect(open.stderr).toMatch(/authentication is off/)
      expect((await client(open.base, null)('GET', '/api/v1/tokens')).status).toBe(200)
    } finally {
      expect(await open.stop()).toBe(0)
    }
  })
})

describe.each(DIALECTS.filter((dialect) => dialect !== 'sqlite'))('%s: two servers, 16 racing clients', (dialect) => {
  let database: IsolatedDatabase
  beforeAll(async () => {
    requireBuild()
    database = await createIsolatedDatabase(dialect)
  })
  afterAll(async () => {
    await database.drop()
  })

  it('20 rounds of 16 simultaneous starts through both servers: exactly one winner each', async () => {
    const store = await database.open()
    const { createToken } = await import('../../src/server/index.ts')
    const secret = (await createToken(store, 'racers', 'write')).secret
    await store.close()
    const servers = [await ServeProcess.start(database), await ServeProcess.start(database)]
    try {
      const [first, second] = servers.map((server) => client(server.base, secret))
      if (!first || !second) throw new Error('two servers expected')
      const calls = [first, second] as const
      for (let round = 0; round < 20; round++) {
        const answers = await Promise.all(
          Array.from({ length: 16 }, (_, i) =>
            calls[i % 2 === 0 ? 0 : 1]('POST', '/api/v1/runs', { body: { processName: 'Raced', processType: 'Load' } }),
          ),
        )
        const winners = answers.filter((answer) => answer.status === 201)
        expect(winners).toHaveLength(1)
        expect(answers.filter((answer) => answer.status === 409).map((answer) => answer.body.error.code as string)).toEqual(
          Array(15).fill('PT_PROCESS_RUNNING'),
        )
        expect(winners[0]?.body.run.processRunId).toBe(round + 1)
        const done = await calls[round % 2 === 0 ? 0 : 1](
          'POST',
          `/api/v1/runs/${winners[0]?.body.run.processTrackingId as number}/complete`,
        )
        expect(done.status).toBe(200)
      }
    } finally {
      for (const server of servers) expect(await server.stop()).toBe(0)
    }
  })
})
