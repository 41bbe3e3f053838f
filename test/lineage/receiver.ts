import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { OlEvent } from './schemas.ts'

/** What the receiver does with the next request. */
export type Behaviour = 'accept' | '503' | 'drop' | 'hang' | '400'

export interface Received {
  behaviour: Behaviour
  event: OlEvent
  authorization: string | undefined
}

/**
 * An OpenLineage receiver on 127.0.0.1 for tests. Each request takes the next behaviour of the
 * script (then `accept` forever): answer 201, answer 503, drop the connection, hang without an
 * answer (until {@link releaseHung}), or answer 400. Every request is recorded with what it got.
 */
export class TestReceiver {
  readonly requests: Received[] = []
  #script: Behaviour[] = []
  readonly #hung: ServerResponse[] = []
  #server: Server | undefined
  #onRequest: (() => void) | undefined

  async listen(): Promise<string> {
    this.#server = createServer((request, response) => {
      void this.#handle(request, response)
    })
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  /** Queues behaviours for the next requests. */
  script(...behaviours: Behaviour[]): void {
    this.#script.push(...behaviours)
  }

  /** Events acknowledged with a 2xx, in arrival order. */
  get accepted(): OlEvent[] {
    return this.requests.filter((r) => r.behaviour === 'accept').map((r) => r.event)
  }

  /** Resolves once `predicate` holds, re-checked on every request (no timing involved). */
  waitFor(predicate: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (predicate()) {
          this.#onRequest = undefined
          resolve()
        }
      }
      this.#onRequest = check
      check()
    })
  }

  /** Drops every hung request's connection. */
  releaseHung(): void {
    for (const response of this.#hung.splice(0)) response.socket?.destroy()
  }

  async close(): Promise<void> {
    this.releaseHung()
    this.#server?.closeAllConnections()
    await new Promise<void>((resolve) => {
      if (this.#server)
        this.#server.close(() => {
          resolve()
        })
      else resolve()
    })
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const behaviour = this.#script.shift() ?? 'accept'
    this.requests.push({
      behaviour,
      event: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OlEvent,
      authorization: request.headers.authorization,
    })
    if (behaviour === 'accept') response.writeHead(201).end()
    else if (behaviour === '503') response.writeHead(503).end('busy')
    else if (behaviour === '400') response.writeHead(400).end('{"error":"bad event"}')
    else if (behaviour === 'drop') request.socket.destroy()
    else this.#hung.push(response)
    this.#onRequest?.()
  }
}
