/**
 * `apply` writes everything in ONE transaction: several library operations (defineProcess,
 * addProcessDependency, …) that each open their own transaction are run against a store context whose
 * database handle joins an outer transaction instead of opening another. So a failure anywhere — a
 * cycle, an unknown contact — rolls back every change of the file, and the operations keep their own
 * checks and locks.
 */
import type { StoreContext } from '../../store/context.ts'
import type { Db } from '../../store/dialect/adapter.ts'
import { transaction } from '../../store/transaction.ts'

/**
 * `trx` where `transaction().execute(work)` runs `work(trx)` at once: the inner "transaction" is part
 * of the outer one. Methods are bound to the real transaction, whose private fields a proxy cannot reach.
 */
function joining(trx: Db): Db {
  const joined = {
    execute: <T>(work: (inner: Db) => Promise<T>): Promise<T> => work(trx),
    setIsolationLevel: () => joined,
    setAccessMode: () => joined,
  }
  return new Proxy(trx, {
    get(target, property) {
      if (property === 'transaction') return () => joined
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

/**
 * Runs `work` with a context whose every operation joins one transaction, committed at the end or rolled
 * back on any error. Lookup ids learnt inside stay in a copy until the commit, so a rollback leaves the
 * store's cache as it was.
 */
export async function inOneTransaction<T>(ctx: StoreContext, work: (joined: StoreContext) => Promise<T>): Promise<T> {
  let learnt: Map<string, number> | undefined
  const result = await transaction(ctx, (tx) => {
    learnt = new Map(ctx.ids)
    return work({ ...ctx, db: joining(tx.db), ids: learnt })
  })
  for (const [key, id] of learnt ?? []) ctx.ids.set(key, id)
  return result
}
