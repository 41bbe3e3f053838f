/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return -- response bodies are JSON, read freely */
/** A small Server-Sent Events reader over fetch, for the tests. */
export interface SseEvent {
  event: string
  id: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- run views, read freely
  data: any
}

export class SseStream {
  readonly events: SseEvent[] = []
  comments = 0
  readonly #controller = new AbortController()
  readonly #waiters: (() => void)[] = []
  status = 0

  static async open(url: string, token: string, lastEventId?: string): Promise<SseStream> {
    const stream = new SseStream()
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      signal: stream.#controller.signal,
    })
    stream.status = response.status
    if (!response.body) return stream
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    void (async () => {
      let buffer = ''
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buffer += value
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            stream.#parse(buffer.slice(0, end))
            buffer = buffer.slice(end + 2)
          }
        }
      } catch {
        // aborted
      }
    })()
    return stream
  }

  #parse(block: string): void {
    const fields: Record<string, string> = {}
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++
        continue
      }
      const colon = line.indexOf(':')
      if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart()
    }
    if (fields.data === undefined) return
    this.events.push({ event: fields.event ?? 'message', id: fields.id ?? '', data: JSON.parse(fields.data) })
    for (const wake of this.#waiters.splice(0)) wake()
  }

  /** Resolves with the first event matching, or rejects after `withinMs`. */
  async waitFor(match: (event: SseEvent) => boolean, withinMs: number): Promise<SseEvent> {
    const deadline = Date.now() + withinMs
    for (;;) {
      const found = this.events.find(match)
      if (found) return found
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(
          `no matching event within ${withinMs} ms; got ${JSON.stringify(this.events.map((e) => [e.id, e.data?.processName, e.data?.status]))}`,
        )
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  close(): void {
    this.#controller.abort()
  }
}
