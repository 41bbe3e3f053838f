import { ConflictError, NotFoundError, ProtectedRecordError, ValidationError } from '../errors.ts'
import type { StoreContext } from '../store/context.ts'
import { single, transaction } from '../store/transaction.ts'
import { toBool } from '../store/values.ts'
import { checkName, checkPlainObject, codePointLength } from './validation.ts'

/** The lookup topics `store.lookups` manages (case-insensitive). */
export type LookupTopic =
  'actor' | 'cluster' | 'contact' | 'error type' | 'extract status' | 'process status' | 'process type' | 'source' | 'tool'

/** Extra columns per topic: contact `{ email }`, cluster `{ maxMemory, … }`, process status `{ category }`. */
export interface LookupExtra {
  email?: string | null
  maxMemory?: number | null
  memoryUnit?: string | null
  maxProcessing?: number | null
  processingUnit?: string | null
  category?: 'active' | 'succeeded' | 'failed' | 'held' | 'released'
  /** Source (since 0.2): the OpenLineage namespace of its datasets, e.g. `postgres://db:5432` (default `processtracker`). */
  uri?: string | null
}

interface TopicSpec {
  table: string
  id: string
  name: string
  /** option → column, with a validator. */
  extra: Record<string, { column: string; check: (value: unknown, field: string) => unknown }>
}

const optionalText = (max: number) => (value: unknown, field: string) => {
  if (value === null) return null
  if (typeof value !== 'string' || value.length === 0 || codePointLength(value) > max) {
    throw new ValidationError(`${field} must be a string of 1 to ${max} characters.`, { field })
  }
  return value
}
const optionalInt = (value: unknown, field: string) => {
  if (value === null) return null
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`${field} must be a whole number of 0 or more.`, { field })
  }
  return value
}
const category = (value: unknown, field: string) => {
  if (value !== 'active' && value !== 'succeeded' && value !== 'failed' && value !== 'held' && value !== 'released') {
    throw new ValidationError(`${field} must be one of active, succeeded, failed, held, released.`, { field })
  }
  return value
}

const simple = (table: string, id: string, name: string): TopicSpec => ({ table, id, name, extra: {} })

const TOPICS: Record<LookupTopic, TopicSpec> = {
  actor: simple('actor_lkup', 'actor_id', 'actor_name'),
  cluster: {
    table: 'cluster_tracking_lkup',
    id: 'cluster_id',
    name: 'cluster_name',
    extra: {
      maxMemory: { column: 'cluster_max_memory', check: optionalInt },
      memoryUnit: { column: 'cluster_max_memory_unit', check: optionalText(2) },
      maxProcessing: { column: 'cluster_max_processing', check: optionalInt },
      processingUnit: { column: 'cluster_max_processing_unit', check: optionalText(3) },
    },
  },
  contact: {
    table: 'contact_lkup',
    id: 'contact_id',
    name: 'contact_name',
    extra: { email: { column: 'contact_email', check: optionalText(750) } },
  },
  'error type': simple('error_type_lkup', 'error_type_id', 'error_type_name'),
  'extract status': simple('extract_status_lkup', 'extract_status_id', 'extract_status_name'),
  'process status': {
    table: 'process_status_lkup',
    id: 'process_status_id',
    name: 'process_status_name',
    extra: { category: { column: 'process_status_category', check: category } },
  },
  'process type': simple('process_type_lkup', 'process_type_id', 'process_type_name'),
  source: {
    table: 'source_lkup',
    id: 'source_id',
    name: 'source_name',
    extra: { uri: { column: 'source_uri', check: optionalText(2048) } },
  },
  tool: simple('tool_lkup', 'tool_id', 'tool_name'),
}

export const LOOKUP_TOPICS = Object.keys(TOPICS) as LookupTopic[]

/** Resolves a topic name case-insensitively. */
export function lookupTopic(topic: unknown): LookupTopic {
  const key = typeof topic === 'string' ? topic.trim().toLowerCase() : ''
  if (!(key in TOPICS)) {
    throw new ValidationError(`Invalid topic ${JSON.stringify(topic)}. Use one of: ${LOOKUP_TOPICS.join(', ')}.`, { field: 'topic' })
  }
  return key as LookupTopic
}

/**
 * Create, rename, delete and list the named lookup rows people manage by hand (the CLI's
 * `create` / `update` / `delete`). Seeded rows are protected.
 *
 * @example
 * ```ts
 * await store.lookups.create('contact', 'Data Team', { email: 'data@example.com' })
 * await store.lookups.create('process status', 'validating')           // an active status
 * await store.lookups.update('tool', 'Spark 2', 'Spark 3')
 * console.log(await store.lookups.list('error type'))
 * ```
 */
export class Lookups {
  readonly #ctx: StoreContext

  constructor(ctx: StoreContext) {
    this.#ctx = ctx
  }

  /** Creates the row, or returns quietly when it exists (as the Python CLI's get-or-create did). */
  async create(topic: string, name: string, extra: LookupExtra = {}): Promise<void> {
    const spec = TOPICS[lookupTopic(topic)]
    const checked = checkName(name, 'name')
    const values = extraColumns(spec, extra)
    await transaction(this.#ctx, async (tx) => {
      await this.#ctx.adapter
        .insertIgnoringDuplicates(
          tx.db.insertInto(spec.table as never).values({
            [spec.name]: checked,
            ...values,
            created_by: this.#ctx.auditUser,
            updated_by: this.#ctx.auditUser,
          }),
        )
        .execute()
    })
    this.#forgetCaches()
  }

  /** Renames a row (and sets its extra columns when given). */
  async update(topic: string, initialName: string, name: string, extra: LookupExtra = {}): Promise<void> {
    const spec = TOPICS[lookupTopic(topic)]
    const from = checkName(initialName, 'initialName')
    const to = checkName(name, 'name')
    const values = extraColumns(spec, extra)
    await transaction(this.#ctx, async (tx) => {
      const row = await this.#find(tx.db, spec, from, topic)
      if (toBool(row.is_protected)) throw new ProtectedRecordError('updated', { topic, name: from })
      if (from !== to) {
        const taken = await tx.db
          .selectFrom(spec.table as never)
          .select(spec.id as never)
          .where(spec.name as never, '=', to as never)
          .executeTakeFirst()
        if (taken) throw new ConflictError(`The ${topic} ${to} already exists; pick another name.`, { topic, name: to })
      }
      await tx.db
        .updateTable(spec.table as never)
        .set({ [spec.name]: to, ...values, update_date_time: new Date(), updated_by: this.#ctx.auditUser } as never)
        .where(spec.id as never, '=', row.id as never)
        .execute()
    })
    this.#forgetCaches()
  }

  /** Deletes a row that nothing uses. */
  async delete(topic: string, name: string): Promise<void> {
    const spec = TOPICS[lookupTopic(topic)]
    const checked = checkName(name, 'name')
    try {
      await transaction(this.#ctx, async (tx) => {
        const row = await this.#find(tx.db, spec, checked, topic)
        if (toBool(row.is_protected)) throw new ProtectedRecordError('deleted', { topic, name: checked })
        await tx.db
          .deleteFrom(spec.table as never)
          .where(spec.id as never, '=', row.id as never)
          .execute()
      })
    } catch (error) {
      // transaction() has translated the driver error; the foreign-key violation is its cause.
      if (error instanceof ConflictError && this.#ctx.adapter.classifyError(error.cause) === 'foreign-key') {
        throw new ConflictError(`The ${topic} ${checked} is still in use and cannot be deleted.`, { topic, name: checked })
      }
      throw error
    }
    this.#forgetCaches()
  }

  /** Every name of a topic, sorted. */
  async list(topic: string): Promise<string[]> {
    const spec = TOPICS[lookupTopic(topic)]
    const rows = (await single(this.#ctx, (db) =>
      db
        .selectFrom(spec.table as never)
        .select(`${spec.name} as name` as never)
        .execute(),
    )) as { name: string }[]
    return rows.map((row) => row.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  }

  async #find(
    db: StoreContext['db'],
    spec: TopicSpec,
    name: string,
    topic: string,
  ): Promise<{ id: number; is_protected: boolean | number }> {
    const row = (await db
      .selectFrom(spec.table as never)
      .select([`${spec.id} as id`, 'is_protected'] as never)
      .where(spec.name as never, '=', name as never)
      .executeTakeFirst()) as { id: number; is_protected: boolean | number } | undefined
    if (!row) throw new NotFoundError(`The ${topic} ${name} does not exist.`, { topic, name })
    return row
  }

  /** Renames and deletes invalidate remembered ids and statuses. */
  #forgetCaches(): void {
    this.#ctx.ids.clear()
    this.#ctx.processStatuses.byName.clear()
    this.#ctx.processStatuses.byId.clear()
  }
}

function extraColumns(spec: TopicSpec, extra: LookupExtra): Record<string, unknown> {
  const given = checkPlainObject(extra, 'extra')
  const values: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue
    const column = spec.extra[key]
    if (!column) {
      throw new ValidationError(`${key} does not apply to this topic.`, { field: key })
    }
    values[column.column] = column.check(value, key)
  }
  return values
}
