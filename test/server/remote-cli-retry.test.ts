/**
 * `run --server` retrying its start: when the client gave up on an attempt (the connection dropped)
 * while the server still holds that attempt's Idempotency-Key, the retry is answered 409
 * PT_IDEMPOTENCY_IN_PROGRESS ("retry it shortly"). The client must retry that too, so a held process
 * is still refused with exit 3 — not exit 1. A proxy in front of the server drops the first attempt
 * after claiming its key as the server would, then lets the key go once the retry has seen it busy.
 * The program runs in-process through its entry (the binary's remote path is smoke-tested by
 * remote-cli.test.ts); no timing is asserted (the order is forced by the proxy).
 */
import { once } from 'node:events'
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker } from '../../src/index.ts'
import { createToken } from '../../src/server/index.ts'
import { claimKey, releaseKey, requestHash, type KeyClaim } from '../../src/server/idempotency-store.ts'
import { serverDb } from '../../src/server/server-tables.ts'
import { cleanEnv, nodeCommand } from '../cli/cli.ts'
import { runInProcess } from '../cli/in-process.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { startApi, type TestApi } from './support.ts'
import { contextOf } from '../../src/store/context.ts'

async function bodyOf(message: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of message) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

describe.each(DIALECTS)('%s: run --server retries a start the server is still busy with', (dialect) => {
  const isolated = useIsolatedStore(dialect)
  let api: TestApi
  let proxy: Server
  let proxyBase: string
  let secret: string
  let tokenId: number
  /** What the proxy saw of the start requests, in order. */
  const seen: string[] = []
  let claim: KeyClaim | undefined

  beforeAll(async () => {
    api = await startApi(isolated.store)
    const name = `retry-${String(process.pid)}-${String(Date.now())}`
    secret = (await createToken(isolated.store, name, 'admin')).secret
    const row = await serverDb(contextOf(isolated.store).db)
      .selectFrom('api_token')
      .select('token_id')
      .where('token_name', '=', name)
      .executeTakeFirstOrThrow()
    tokenId = Number(row.token_id)
    const target = new URL(api.base)
    proxy = createServer((incoming, outgoing) => {
      void (async () => {
        const body = await bodyOf(incoming)
        const key = incoming.headers['idempotency-key']
        if (incoming.method === 'POST' && incoming.url === '/api/v1/runs' && typeof key === 'string') {
          if (claim === undefined && seen.length === 0) {
            // The first attempt: the server has claimed its key and is still working; the client loses the connection.
            const claimed = await claimKey(
              isolated.store,
              tokenId,
              key,
              requestHash('POST /api/v1/runs', JSON.parse(body.toString()) as unknown),
            )
            if (!('claim' in claimed)) throw new Error('the first attempt found its key taken')
            claim = claimed.claim
            seen.push('dropped')
            incoming.socket.destroy()
            return
          }
        }
        const forwarded = request(
          { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
          (answer) => {
            void bodyOf(answer).then(async (answerBody) => {
              if (incoming.url === '/api/v1/runs' && incoming.method === 'POST') {
                const code = (JSON.parse(answerBody.toString()) as { error?: { code?: string } }).error?.code ?? String(answer.statusCode)
                seen.push(code)
                // The first attempt ends now (refused, so its key is given up), after the retry found it busy.
                if (code === 'PT_IDEMPOTENCY_IN_PROGRESS' && claim) await releaseKey(isolated.store, claim)
              }
              outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
              outgoing.end(answerBody)
            })
          },
        )
        forwarded.end(body)
      })()
    })
    proxy.listen(0, '127.0.0.1')
    await once(proxy, 'listening')
    const address = proxy.address()
    if (typeof address !== 'object' || !address) throw new Error('no proxy address')
    proxyBase = `http://127.0.0.1:${String(address.port)}`
  })
  afterAll(async () => {
    proxy.close()
    await api.close()
  })

  it('a held process is refused with exit 3 after a dropped attempt and a busy key', async () => {
    const processName = `Held Retry ${dialect}`
    const strict = await isolated.database.open({ maxConcurrentFailures: 1 })
    try {
      await (await ProcessTracker.start(strict, { processName, processType: 'Load' })).fail() // the failure records the hold
    } finally {
      await strict.close()
    }
    expect((await isolated.store.getProcessView(processName)).state).toBe('on-hold')
    const env = cleanEnv('/nonexistent', { PROCESS_TRACKER_SERVER_URL: proxyBase, PROCESS_TRACKER_TOKEN: secret })
    const held = await runInProcess(['run', '-p', processName, '--', ...nodeCommand('')], { env })
    expect(seen).toEqual(['dropped', 'PT_IDEMPOTENCY_IN_PROGRESS', 'PT_PROCESS_ON_HOLD'])
    expect(held.code, held.stderr).toBe(3)
    expect(held.stderr).toMatch(/on hold/)
  })
})
