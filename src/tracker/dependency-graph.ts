/**
 * The one cycle check of the two dependency graphs (processes, extracts) and the lock that makes it
 * safe. A new edge parent → child closes a cycle exactly when the parent is already reachable from
 * the child; one recursive query answers that on every dialect.
 */
import { sql } from 'kysely'
import type { Tx } from '../store/transaction.ts'

/** The dependency type whose row every dependency change locks (the Python default, id 1). */
export const LOCKED_DEPENDENCY_TYPE = 'Undefined'

const EDGES = {
  process: { table: 'process_dependency', parent: 'parent_process_id', child: 'child_process_id' },
  extract: { table: 'extract_dependency', parent: 'parent_extract_id', child: 'child_extract_id' },
} as const

/**
 * Serialises dependency changes (of processes and of extracts): locks the row of the `Undefined`
 * dependency type (FOR UPDATE on PostgreSQL and MySQL; SQLite's write lock already serialises
 * writers). Two transactions adding the two halves of a cycle at once would each miss the other's
 * edge; with this lock the second one sees the first. Adding dependencies is rare, so the
 * serialisation costs nothing that matters. Returns the type's id, or undefined when it is missing.
 */
export async function lockDependencyChanges(tx: Tx): Promise<number | undefined> {
  const row = await tx.ctx.adapter
    .forUpdate(
      tx.db.selectFrom('dependency_type_lkup').select('dependency_type_id').where('dependency_type_name', '=', LOCKED_DEPENDENCY_TYPE),
    )
    .executeTakeFirst()
  return row === undefined ? undefined : Number(row.dependency_type_id)
}

/**
 * Whether `target` is reachable from `from` by following parent → child edges: adding the edge
 * target → from would then close a cycle. Call it after {@link lockDependencyChanges}.
 */
export async function reaches(tx: Tx, graph: keyof typeof EDGES, from: number, target: number): Promise<boolean> {
  const { table, parent, child } = EDGES[graph]
  const edges = sql.table(table)
  const { rows } = await sql<{ found: number }>`
    with recursive descendants (node_id) as (
      select ${sql.ref(child)} from ${edges} where ${sql.ref(parent)} = ${from}
      union
      select d.${sql.ref(child)} from ${edges} d join descendants x on d.${sql.ref(parent)} = x.node_id
    )
    select 1 as found from descendants where node_id = ${target} limit 1`.execute(tx.db)
  return rows.length > 0
}
