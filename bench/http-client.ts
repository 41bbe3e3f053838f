/**
 * The HTTP bench's clients. They stand for workers on other machines (a Spark job, a Python script),
 * but here they share the 2 cores with the server and the database, so every microsecond a client
 * spends is taken from the server: the default client is as lean as HTTP/1.1 allows (one kept-alive
 * socket per client, the request written as one string, the response cut by its Content-Length).
 * `node:http` costs about three times its CPU per request (agent, streams, header objects); it stays
 * selectable (`--client node-http`) to compare, and `fetch` would cost more again.
 */
import http from 'node:http'
import net from 'node:net'

export type ClientKind = 'lean' | 'node-http'
export const CLIENT_KINDS: readonly ClientKind[] = ['lean', 'node-http']

/** One request; resolves with the parsed JSON body of a 2xx answer, rejects with anything else. */
export type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>

/** A client holding one connection: its calls must be awaited one at a time. */
export interface HttpClient {
  call: Call
  close: () => void
}

export function httpClient(kind: ClientKind, base: string, token: string): HttpClient {
  return kind === 'lean' ? leanClient(base, token) : nodeHttpClient(base, token)
}

const HEADER_END = Buffer.from('\r\n\r\n')

function leanClient(base: string, token: string): HttpClient {
  const { hostname, port } = new URL(base)
  const socket = net.connect({ host: hostname, port: Number(port), noDelay: true })
  const fixed = `HTTP/1.1\r\nhost: ${hostname}:${port}\r\nauthorization: Bearer ${token}\r\n`
  let buffered: Buffer | null = null
  let pending: { resolve: (value: unknown) => void; reject: (error: Error) => void; what: string } | null = null
  const fail = (error: Error) => {
    const waiting = pending
    pending = null
    waiting?.reject(error)
  }
  socket.on('error', fail)
  socket.on('close', () => {
    fail(new Error('the server closed the connection'))
  })
  socket.on('data', (chunk: Buffer) => {
    const data: Buffer = buffered ? Buffer.concat([buffered, chunk]) : chunk
    const end = data.indexOf(HEADER_END)
    if (end < 0) {
      buffered = data
      return
    }
    const head = data.toString('latin1', 0, end).toLowerCase()
    if (head.includes('\r\ntransfer-encoding:')) {
      fail(new Error('the lean bench client reads Content-Length answers only'))
      return
    }
    const length = Number(/\r\ncontent-length: *(\d+)/.exec(head)?.[1] ?? 0)
    if (data.length < end + 4 + length) {
      buffered = data
      return
    }
    buffered = data.length > end + 4 + length ? data.subarray(end + 4 + length) : null
    const status = Number(head.slice(9, 12))
    const text = data.toString('utf8', end + 4, end + 4 + length)
    const waiting = pending
    pending = null
    if (!waiting) return
    if (status >= 300) waiting.reject(new Error(`${waiting.what} → ${status} ${text}`))
    else waiting.resolve(text === '' ? undefined : JSON.parse(text))
  })
  const call: Call = <T>(method: string, path: string, body?: unknown) =>
    new Promise<T>((resolve, reject) => {
      if (pending) throw new Error('one request at a time per lean client')
      pending = { resolve: resolve as (value: unknown) => void, reject, what: `${method} ${path}` }
      const payload = body === undefined ? '' : JSON.stringify(body)
      const framing = body === undefined ? '' : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n`
      socket.write(`${method} ${path} ${fixed}${framing}\r\n${payload}`)
    })
  return {
    call,
    close: () => {
      socket.destroy()
    },
  }
}

/** node:http over a keep-alive agent. */
function nodeHttpClient(base: string, token: string): HttpClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const { hostname, port } = new URL(base)
  const call: Call = <T>(method: string, path: string, body?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body)
      const headers: Record<string, string> = { authorization: `Bearer ${token}` }
      if (payload !== undefined) headers['content-type'] = 'application/json'
      const request = http.request({ agent, hostname, port, method, path, headers }, (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          if ((response.statusCode ?? 500) >= 300) reject(new Error(`${method} ${path} → ${response.statusCode} ${text}`))
          else resolve(JSON.parse(text) as T)
        })
      })
      request.on('error', reject)
      request.end(payload)
    })
  return {
    call,
    close: () => {
      agent.destroy()
    },
  }
}
