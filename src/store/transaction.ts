import { setTimeout as sleep } from 'node:timers/promises'
import type { StoreContext } from './context.ts'
import type { Db } from './dialect/adapter.ts'

/**
 * A transaction plus the lookup ids it learned. Ids of rows this transaction inserted only become
 * visible to the store's cache when it commits: a rolled-back insert must not be remembered. Ids of
 * rows that were already there are remembered at once, so a refused start (which rolls back) does
 * not make the next attempt read them again.
 */
export class Tx {
  readonly db: Db
  readonly ctx: StoreContext
  readonly #learned = new Map<string, number>()

  constructor(db: Db, ctx: StoreContext) {
    this.db = db
    this.ctx = ctx
  }

  cached(key: string): number | undefined {
    return this.#learned.get(key) ?? this.ctx.ids.get(key)
  }

  /** Remembers an id: for the store at commit, or at once when the row existed before this transaction. */
  learn(key: string, id: number, existedBefore = false): void {
    if (existedBefore) this.ctx.ids.set(key, id)
    else this.#learned.set(key, id)
  }

  /** @internal */
  publish(): void {
    for (const [key, id] of this.#learned) this.ctx.ids.set(key, id)
  }
}

const MAX_ATTEMPTS = 8

/**
 * Runs `work` in one transaction and commits. Deadlocks, serialization failures and unique
 * violations that come from two callers racing to create the same row are retried with a short,
 * jittered back-off; every other error (translated) reaches the caller, with nothing written.
 */
export async function transaction<T>(ctx: StoreContext, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let tx: Tx | undefined
    try {
      const result = await ctx.db.transaction().execute(async (trx) => {
        tx = new Tx(trx, ctx)
        return work(tx)
      })
      tx?.publish()
      return result
    } catch (error) {
      const kind = ctx.adapter.classifyError(error)
      if ((kind === 'retry' || kind === 'unique') && attempt < MAX_ATTEMPTS) {
        await sleep(Math.random() * 5 * attempt)
        continue
      }
      throw ctx.translate(error)
    }
  }
}

/** Runs one statement outside a transaction (it commits by itself), with driver errors translated. */
export async function single<T>(ctx: StoreContext, work: (db: Db) => Promise<T>): Promise<T> {
  try {
    return await work(ctx.db)
  } catch (error) {
    throw ctx.translate(error)
  }
}
