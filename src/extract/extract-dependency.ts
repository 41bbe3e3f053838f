import { sql } from 'kysely'
import { ConfigError, ValidationError } from '../errors.ts'
import type { Tx } from '../store/transaction.ts'

/** The dependency type extract dependencies are recorded with (the Python default, id 1). */
const DEPENDENCY_TYPE = 'Undefined'

/**
 * Records that `childId` depends on `parentId`; a repeat is a no-op.
 *
 * Cycles are refused with one recursive query: the new edge closes a cycle exactly when the parent
 * is already reachable from the child. Two transactions adding the two halves of a cycle at once
 * would each miss the other's edge, so every dependency change first locks one shared row (the
 * dependency type's, FOR UPDATE on PostgreSQL and MySQL; SQLite's write lock already serialises
 * writers). Adding dependencies is rare, so the serialisation costs nothing that matters.
 *
 * @throws ValidationError when the edge would close a cycle.
 */
export async function addExtractDependency(tx: Tx, parentId: number, childId: number): Promise<void> {
  const typeRow = await tx.ctx.adapter
    .forUpdate(
      tx.db.selectFrom('dependency_type_lkup').select('dependency_type_id').where('dependency_type_name', '=', DEPENDENCY_TYPE),
    )
    .executeTakeFirst()
  if (!typeRow) {
    throw new ConfigError(`The dependency type ${DEPENDENCY_TYPE} is missing from dependency_type_lkup; run store.setup() to restore the defaults.`)
  }
  const { rows } = await sql<{ found: number }>`
    with recursive descendants (extract_id) as (
      select child_extract_id from extract_dependency where parent_extract_id = ${childId}
      union
      select d.child_extract_id from extract_dependency d join descendants x on d.parent_extract_id = x.extract_id
    )
    select 1 as found from descendants where extract_id = ${parentId} limit 1`.execute(tx.db)
  if (rows.length > 0) {
    throw new ValidationError(
      `The dependency would make a cycle: extract ${parentId} already depends, directly or not, on extract ${childId}. Remove the cycle from your dependency design.`,
      { parentExtractId: parentId, childExtractId: childId },
    )
  }
  await tx.ctx.adapter
    .insertIgnoringDuplicates(
      tx.db.insertInto('extract_dependency').values({
        parent_extract_id: parentId,
        child_extract_id: childId,
        dependency_type_id: Number(typeRow.dependency_type_id),
        created_by: tx.ctx.auditUser,
        updated_by: tx.ctx.auditUser,
      }),
    )
    .execute()
}
