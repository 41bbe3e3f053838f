/**
 * Where the dispatcher sends events (lineage.md "Transports"): `http` (POST to the receiver),
 * `file` (JSON Lines, appended and fsynced, one event a line) and `console` (stdout).
 */
import { open } from 'node:fs/promises'
import type { TransportConfig } from './config.ts'

/** What one attempt to deliver an event came to. */
export type SendResult =
  | { outcome: 'sent' }
  /** 5xx, 429, a network error or a timeout: try again. */
  | { outcome: 'retry'; detail: string }
  /** Any other 4xx (or 3xx): the receiver will never take it. */
  | { outcome: 'rejected'; detail: string }

export interface Transport {
  send(json: string): Promise<SendResult>
}

/** The Python client's per-request timeout. */
export const HTTP_TIMEOUT_MS = 5_000
const MAX_DETAIL = 1_900

export function createTransport(config: TransportConfig, timeoutMs = HTTP_TIMEOUT_MS): Transport {
  switch (config.kind) {
    case 'http':
      return httpTransport(config.url, config.apiKey, timeoutMs)
    case 'file':
      return fileTransport(config.file)
    case 'console':
      return {
        send: (json) =>
          new Promise((resolve) => {
            process.stdout.write(`${json}\n`, () => {
              resolve({ outcome: 'sent' })
            })
          }),
      }
  }
}

function httpTransport(url: string, apiKey: string | null, timeoutMs: number): Transport {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`
  return {
    async send(json) {
      let response: Response
      try {
        response = await fetch(url, { method: 'POST', headers, body: json, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' })
      } catch (error) {
        const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
        return { outcome: 'retry', detail: `${error instanceof Error ? error.message : String(error)}${cause}` }
      }
      const body = (await response.text().catch(() => '')).slice(0, MAX_DETAIL)
      if (response.ok) return { outcome: 'sent' }
      const detail = `HTTP ${response.status}${body === '' ? '' : `: ${body}`}`
      if (response.status === 429 || response.status >= 500) return { outcome: 'retry', detail }
      return { outcome: 'rejected', detail }
    },
  }
}

function fileTransport(file: string): Transport {
  return {
    async send(json) {
      let handle
      try {
        handle = await open(file, 'a')
        await handle.appendFile(`${json}\n`, 'utf8')
        await handle.sync()
        return { outcome: 'sent' }
      } catch (error) {
        return { outcome: 'retry', detail: error instanceof Error ? error.message : String(error) }
      } finally {
        await handle?.close()
      }
    },
  }
}
