/**
 * "Build once, bind after": hot-path statements are built with Kysely (or written as raw SQL per
 * dialect) and compiled ONCE per store; each call only binds its values into the compiled text and
 * hands it to the store's executor. Profiling a lifecycle on PostgreSQL showed Kysely's query
 * building and compiling at about 0.6 ms of 4.7 ms client CPU (issue 15); a bound statement costs
 * a few array writes.
 *
 * The statement is still an ordinary `CompiledQuery` run on the store's own (instrumented) driver
 * connection, so everything the driver does per statement still happens: counting, `begin
 * immediate` on SQLite, value rewrites (Dates and booleans for better-sqlite3), lock waits,
 * PostgreSQL statement naming, the unknown-outcome marking of commits, and error translation by the
 * caller.
 *
 * SQLite, inside a transaction: the statement goes straight to the transaction's connection instead
 * of through Kysely's executor (its connection provider's queue and result pipeline cost more CPU
 * than better-sqlite3 running a cached statement; issue 15). See `transactionConnections`.
 */
import { CompiledQuery, type Compilable, type DatabaseConnection, type QueryResult } from 'kysely'
import type { StoreContext } from './context.ts'
import type { Db, DialectAdapter } from './dialect/adapter.ts'
import type { Tx } from './transaction.ts'

/** A value bound at execution time: stands in for the parameter while the statement is built. */
class Slot {
  readonly name: string
  constructor(name: string) {
    this.name = name
  }
}

/**
 * What a statement's builder receives for its parameters: each property is a placeholder typed as
 * the value it stands for, so builders type-check as if they got real values. Use a placeholder
 * only where Kysely binds a value (a comparison, an inserted or set value, a raw `sql` parameter),
 * never as a list (`in`), an identifier or a LIMIT that the dialect inlines.
 */
export type Slots<P> = Readonly<P>

/** The compiled text of one store, with where each bound value goes. */
interface Template {
  readonly compiled: CompiledQuery
  /** Per parameter position: the slot's name, or undefined for a constant compiled into the text. */
  readonly names: readonly (string | undefined)[]
}

/** Either a transaction or a store: where a prepared statement runs. */
export type Runner = Tx | StoreContext

/**
 * A statement built once per store (per dialect and compiler), executed many times with new values.
 *
 * @example
 * ```ts
 * const bumpCount = prepare((db, p: Slots<{ id: number; count: number }>) =>
 *   db.updateTable('process_tracking').set({ process_run_record_count: p.count }).where('process_tracking_id', '=', p.id),
 * )
 * await bumpCount.execute(tx, { id: 42, count: 100 })
 * ```
 */
export class Prepared<P extends object, R = unknown> {
  readonly #build: (db: Db, slots: Slots<P>, adapter: DialectAdapter) => Compilable<R>
  // Keyed by the store's root Kysely instance: one compile per open store (a transaction's Kysely
  // shares its root's compiler, so the text is the same inside and outside transactions).
  readonly #templates = new WeakMap<Db, Template>()

  constructor(build: (db: Db, slots: Slots<P>, adapter: DialectAdapter) => Compilable<R>) {
    this.#build = build
  }

  /** The compiled text and its parameters for these values (what {@link execute} sends). */
  bind(ctx: StoreContext, values: P): CompiledQuery<R> {
    const template = this.#template(ctx)
    const { names, compiled } = template
    const parameters = new Array<unknown>(names.length)
    for (let i = 0; i < names.length; i++) {
      const name = names[i]
      parameters[i] = name === undefined ? compiled.parameters[i] : (values as Record<string, unknown>)[name]
    }
    return { sql: compiled.sql, parameters, query: compiled.query, queryId: compiled.queryId }
  }

  /** Runs the statement with `values`, in the transaction or on the store (then it commits by itself). */
  execute(on: Runner, values: P): Promise<QueryResult<R>> {
    if (!('ctx' in on)) return on.db.executeQuery(this.bind(on, values))
    const compiled = this.bind(on.ctx, values)
    // Only a real transaction holds its connection; a Tx over the store's Kysely (the finders') does not.
    if (on.ctx.adapter.dialect !== 'sqlite' || !on.db.isTransaction) return on.db.executeQuery(compiled)
    const connection = transactionConnections.get(on.db)
    if (connection) return connection.executeQuery<R>(compiled)
    if (connection === null) return on.db.executeQuery(compiled)
    return on.db.getExecutor().provideConnection((found) => {
      learnConnection(on.db, found)
      return found.executeQuery<R>(compiled)
    })
  }

  /** The rows the statement returns. */
  async rows(on: Runner, values: P): Promise<R[]> {
    return (await this.execute(on, values)).rows
  }

  /** How many rows an INSERT, UPDATE or DELETE changed. */
  async affected(on: Runner, values: P): Promise<number> {
    const result = await this.execute(on, values)
    return Number(result.numAffectedRows ?? 0n)
  }

  #template(ctx: StoreContext): Template {
    let template = this.#templates.get(ctx.db)
    if (template) return template
    const used = new Set<string>()
    const slots = new Proxy({} as Slots<P>, {
      get: (_, name) => {
        used.add(String(name))
        return new Slot(String(name))
      },
    })
    const compiled = this.#build(ctx.db, slots, ctx.adapter).compile()
    const names = compiled.parameters.map((value) => (value instanceof Slot ? value.name : undefined))
    // A placeholder that Kysely inlined or turned into SQL instead of binding would be lost silently.
    for (const name of used) {
      if (!names.includes(name)) throw new Error(`prepared statement: the value ${name} is not bound as a parameter`)
    }
    template = { compiled, names }
    this.#templates.set(ctx.db, template)
    return template
  }
}

/**
 * The connection each open SQLite transaction holds (keyed by the transaction's Kysely instance),
 * learnt from Kysely's executor on the transaction's first prepared statement. Running on it
 * directly is what Kysely's executor would do, minus its queue: better-sqlite3 runs a statement
 * synchronously, so no statement of the transaction can be in flight meanwhile, and the store's
 * single connection is the transaction's until it ends. A store with Kysely plugins (none today)
 * would need their result transforms: it keeps the executor.
 */
const transactionConnections = new WeakMap<Db, DatabaseConnection | null>()

function learnConnection(trx: Db, connection: DatabaseConnection): void {
  transactionConnections.set(trx, trx.getExecutor().plugins.length === 0 ? connection : null)
}

/** Defines a statement built once per store; see {@link Prepared}. */
export function prepare<P extends object, R = unknown>(
  build: (db: Db, slots: Slots<P>, adapter: DialectAdapter) => Compilable<R>,
): Prepared<P, R> {
  return new Prepared(build)
}
