import { createConnection, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy in front of a database server that can cut connections on demand: the network
 * between a client and its database, which the tests break instead of the server. Cutting here
 * touches no server, so the proxy may front the shared test servers.
 */
export class TcpProxy {
  readonly #server: Server
  readonly #pairs = new Set<[Socket, Socket]>()
  /** While set, every connection is destroyed as soon as the client sends anything. */
  dropOnNextSend = false
  /**
   * What happens to the next COMMIT: `lose-reply` forwards it and cuts the connection when the
   * server answers (the commit is applied, the client never hears so); `drop` cuts the connection
   * instead of forwarding it (nothing is committed). Reset after it fired.
   */
  nextCommit: 'lose-reply' | 'drop' | null = null
  /**
   * What a message must say to count as the commit {@link nextCommit} acts on. A statement that
   * commits by itself (a write outside a transaction) is matched by its own text instead.
   */
  commitPattern = /\bcommit\b/i
  port = 0

  private constructor(targetHost: string, targetPort: number) {
    this.#server = createServer((client) => {
      const upstream = createConnection({ host: targetHost, port: targetPort })
      const pair: [Socket, Socket] = [client, upstream]
      this.#pairs.add(pair)
      const close = () => {
        client.destroy()
        upstream.destroy()
        this.#pairs.delete(pair)
      }
      client.on('error', close)
      upstream.on('error', close)
      client.on('close', close)
      upstream.on('close', close)
      let swallowReply = false
      client.on('data', (chunk: Buffer) => {
        // The statement is on its way when the connection dies: the call is in flight.
        if (this.dropOnNextSend) {
          close()
          return
        }
        if (this.nextCommit && this.commitPattern.test(chunk.toString('latin1'))) {
          const mode = this.nextCommit
          this.nextCommit = null
          if (mode === 'drop') {
            close()
            return
          }
          swallowReply = true
        }
        upstream.write(chunk)
      })
      upstream.on('data', (chunk: Buffer) => {
        if (swallowReply) close()
        else client.write(chunk)
      })
    })
  }

  static async start(target: string): Promise<TcpProxy> {
    const url = new URL(target)
    const proxy = new TcpProxy(url.hostname, Number(url.port))
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve))
    const address = proxy.#server.address()
    proxy.port = typeof address === 'object' && address ? address.port : 0
    return proxy
  }

  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string {
    const parsed = new URL(url)
    parsed.hostname = '127.0.0.1'
    parsed.port = String(this.port)
    return parsed.toString()
  }

  /** Destroys every open connection now. */
  cutAll(): number {
    const count = this.#pairs.size
    for (const [client, upstream] of this.#pairs) {
      client.destroy()
      upstream.destroy()
    }
    this.#pairs.clear()
    return count
  }

  async close(): Promise<void> {
    this.cutAll()
    await new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve()
      }),
    )
  }
}
