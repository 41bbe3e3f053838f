import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { requireBuild } from './build.ts'

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url))

export interface Reply {
  id: number
  ok: boolean
  code?: string
  name?: string
  message?: string
  processTrackingId?: number
  processRunId?: number
  /** `busy`: SQLite's `wal_autocheckpoint` after the runs. */
  autocheckpoint?: number
}

/** One OS process running test/support/worker.mjs against the built package. */
export class Worker {
  readonly child: ChildProcessWithoutNullStreams
  #nextId = 1
  readonly #pending = new Map<number, (reply: Reply) => void>()
  #stderr = ''

  constructor(options: { url: string; schema?: string }) {
    requireBuild()
    this.child = spawn(process.execPath, [WORKER, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()))
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as Reply
      this.#pending.get(reply.id)?.(reply)
      this.#pending.delete(reply.id)
    })
    this.child.on('exit', () => {
      for (const resolve of this.#pending.values()) resolve({ id: -1, ok: false, code: 'EXITED', message: this.#stderr })
      this.#pending.clear()
    })
  }

  /** Sends a command; resolves with the worker's reply. */
  send(message: Record<string, unknown>): Promise<Reply> {
    const id = this.#nextId++
    return new Promise((resolve) => {
      this.#pending.set(id, resolve)
      this.child.stdin.write(`${JSON.stringify({ ...message, id })}\n`)
    })
  }

  get stderr(): string {
    return this.#stderr
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = once(this.child, 'exit')
    await this.send({ cmd: 'close' })
    await exited
  }

  async kill(): Promise<void> {
    const exited = once(this.child, 'exit')
    this.child.kill('SIGKILL')
    await exited
  }
}

/** Starts `count` workers and opens a store in each (sequentially: opening is not what is tested). */
export async function startWorkers(count: number, options: { url: string; schema?: string }, open = true): Promise<Worker[]> {
  const workers = Array.from({ length: count }, () => new Worker(options))
  if (open) {
    for (const worker of workers) {
      const reply = await worker.send({ cmd: 'open' })
      if (!reply.ok) throw new Error(`worker could not open the store: ${reply.message ?? ''} ${worker.stderr}`)
    }
  }
  return workers
}
