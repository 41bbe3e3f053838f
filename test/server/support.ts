/**
 * Helpers for the HTTP API tests: a server on a real port (in this process, or `processtracker
 * serve` as a child process running the built package), and a small fetch-based client.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import type { DataStore } from '../../src/index.ts'
import { createServer, createToken, type CreateServerOptions } from '../../src/server/index.ts'
import { BIN } from '../cli/cli.ts'
import { requireBuild } from '../support/build.ts'
import type { IsolatedDatabase } from '../support/dialects.ts'

export interface Answer {
  status: number
  headers: Headers
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies freely
  body: any
  text: string
}

export interface CallOptions {
  token?: string | null
  body?: unknown
  /** Sent as is (no JSON encoding). */
  raw?: string | Buffer
  headers?: Record<string, string>
  signal?: AbortSignal
}

/** A client bound to a base URL and a default token. */
export function client(base: string, defaultToken: string | null) {
  return async (method: string, path: string, options: CallOptions = {}): Promise<Answer> => {
    const token = options.token === undefined ? defaultToken : options.token
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}) }
    let payload: string | Buffer | undefined
    if (options.raw !== undefined) payload = options.raw
    else if (options.body !== undefined) {
      payload = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    }
    Object.assign(headers, options.headers)
    const response = await fetch(base + path, { method, headers, body: payload, ...(options.signal ? { signal: options.signal } : {}) })
    const text = await response.text()
    let body: unknown = null
    try {
      body = text === '' ? null : JSON.parse(text)
    } catch {
      body = null
    }
    return { status: response.status, headers: response.headers, body, text }
  }
}

export type Call = ReturnType<typeof client>

/** A server on 127.0.0.1 and a free port, with one token of each scope. */
export interface TestApi {
  app: FastifyInstance
  base: string
  tokens: { read: string; write: string; admin: string }
  /** As admin unless a token is given. */
  call: Call
  close(): Promise<void>
}

let counter = 0

export async function startApi(store: DataStore, options: Partial<CreateServerOptions> = {}): Promise<TestApi> {
  const app = await createServer({ store, logger: pino({ level: 'silent' }), ...options })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (typeof address !== 'object' || !address) throw new Error('no address')
  const base = `http://127.0.0.1:${address.port}`
  const suffix = `${process.pid}-${++counter}-${Date.now()}`
  const tokens = {
    read: (await createToken(store, `read-${suffix}`, 'read')).secret,
    write: (await createToken(store, `write-${suffix}`, 'write')).secret,
    admin: (await createToken(store, `admin-${suffix}`, 'admin')).secret,
  }
  return { app, base, tokens, call: client(base, tokens.admin), close: () => app.close() }
}

/** `processtracker serve` in a child process (the built package), on a free port. */
export class ServeProcess {
  readonly child: ChildProcessWithoutNullStreams
  base = ''
  stderr = ''
  readonly #lines: string[] = []

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
  }

  static async start(database: IsolatedDatabase, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
    requireBuild() // the child runs dist/
    const child = spawn(process.execPath, [BIN, '--url', database.options.url, 'serve', '--port', '0', ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: '/nonexistent',
        ...(database.options.schema ? { PROCESS_TRACKER_SCHEMA: database.options.schema } : {}),
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const serve = new ServeProcess(child)
    const lines = createInterface({ input: child.stdout })
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve)
      child.once('exit', (code) => {
        reject(new Error(`serve exited with ${String(code)}: ${serve.stderr}`))
      })
    })
    lines.on('line', (line) => serve.#lines.push(line))
    const match = /^processtracker listening on (http:\/\/\S+)$/.exec(first)
    if (!match?.[1]) throw new Error(`unexpected first line: ${first}`)
    serve.base = match[1]
    return serve
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode
    const exited = once(this.child, 'exit') as Promise<[number | null]>
    this.child.kill('SIGTERM')
    const [code] = await exited
    return code
  }
}
