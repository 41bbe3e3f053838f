import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** What DataStore.open takes in a worker: plain JSON. */
export interface OpenTarget {
  url: string
  schema?: string
}

/** A message from a worker. `type: 'error'` carries the worker's failure. */
export interface WorkerMessage {
  type: string
  [key: string]: unknown
}

/**
 * One worker OS process running a script of bench/workers/ under plain `node` (never through tsx:
 * the worker measures the built package exactly as a user's process runs it). Requests and replies
 * go over the fork IPC channel, one at a time.
 */
export class WorkerProcess {
  readonly #child: ChildProcess
  readonly #inbox: WorkerMessage[] = []
  #waiting: ((message: WorkerMessage) => void) | undefined
  #exited: string | undefined

  constructor(script: string) {
    const path = fileURLToPath(new URL(`./workers/${script}`, import.meta.url))
    // tsx runs the orchestrator through loader flags; a worker must not inherit them.
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    this.#child = fork(path, [], { execArgv: [], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.#child.on('message', (message: WorkerMessage) => {
      this.#deliver(message)
    })
    this.#child.on('exit', (code, signal) => {
      this.#exited = `worker ${script} exited (code ${String(code)}, signal ${String(signal)})`
      this.#deliver({ type: 'error', message: this.#exited })
    })
  }

  #deliver(message: WorkerMessage): void {
    const waiting = this.#waiting
    if (waiting) {
      this.#waiting = undefined
      waiting(message)
    } else {
      this.#inbox.push(message)
    }
  }

  /** Sends a message without waiting for the reply (what a barrier release needs). */
  post(message: WorkerMessage): void {
    if (this.#exited !== undefined) throw new Error(this.#exited)
    this.#child.send(message)
  }

  /** The next message from the worker; rejects on `type: 'error'` or `type` other than expected. */
  async next<T extends WorkerMessage>(expected: string): Promise<T> {
    const message = this.#inbox.shift() ?? (await new Promise<WorkerMessage>((resolve) => (this.#waiting = resolve)))
    if (message.type !== expected) {
      throw new Error(`expected '${expected}' from a worker, got ${JSON.stringify(message)}`)
    }
    return message as T
  }

  async request<T extends WorkerMessage>(message: WorkerMessage, expected: string): Promise<T> {
    this.post(message)
    return this.next<T>(expected)
  }

  /** Asks the worker to close its store and exit; resolves with its peak RSS in bytes. */
  async stop(): Promise<number> {
    const reply = await this.request<WorkerMessage & { peakRssBytes: number }>({ type: 'stop' }, 'stopped')
    return reply.peakRssBytes
  }

  kill(): void {
    if (this.#exited === undefined) this.#child.kill('SIGKILL')
  }
}

/**
 * Starts `count` workers and initialises each (the message from `init(k)`); resolves once every
 * one has answered `ready`. On any failure every worker is killed.
 */
export async function startWorkers(script: string, count: number, init: (k: number) => WorkerMessage): Promise<WorkerProcess[]> {
  const workers = Array.from({ length: count }, () => new WorkerProcess(script))
  try {
    await Promise.all(workers.map((worker, k) => worker.request(init(k), 'ready')))
    return workers
  } catch (error) {
    for (const worker of workers) worker.kill()
    throw error
  }
}

/**
 * The barrier: every worker is ready and idle; one message each, written back to back, releases
 * them together (the spread is the time of `count` IPC writes, well under a millisecond).
 */
export function releaseTogether(workers: readonly WorkerProcess[], message: WorkerMessage): void {
  for (const worker of workers) worker.post(message)
}

/** Stops every worker; resolves with their peak RSS values in bytes. */
export async function stopWorkers(workers: readonly WorkerProcess[]): Promise<number[]> {
  return Promise.all(workers.map((worker) => worker.stop()))
}
