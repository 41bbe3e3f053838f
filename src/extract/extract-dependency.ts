import { ConfigError, ValidationError } from '../errors.ts'
import type { Tx } from '../store/transaction.ts'
import { LOCKED_DEPENDENCY_TYPE, lockDependencyChanges, reaches } from '../tracker/dependency-graph.ts'

/**
 * Records that `childId` depends on `parentId` (with the `Undefined` dependency type, the Python
 * default); a repeat is a no-op. Cycles are refused by the shared check of dependency-graph.ts,
 * under its lock.
 *
 * @throws ValidationError when the edge would close a cycle.
 */
export async function addExtractDependency(tx: Tx, parentId: number, childId: number): Promise<void> {
  const typeId = await lockDependencyChanges(tx)
  if (typeId === undefined) {
    throw new ConfigError(
      `The dependency type ${LOCKED_DEPENDENCY_TYPE} is missing from dependency_type_lkup; run store.setup() to restore the defaults.`,
    )
  }
  if (await reaches(tx, 'extract', childId, parentId)) {
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
        dependency_type_id: typeId,
        created_by: tx.ctx.auditUser,
        updated_by: tx.ctx.auditUser,
      }),
    )
    .execute()
}
