import { ConfigError, ValidationError } from '../errors.ts'
import type { ParentRun } from './record.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Reads env `OPENLINEAGE_PARENT_ID`, `namespace/name/runId` (the Airflow convention; the name may
 * itself hold slashes), or returns null when it is unset.
 *
 * @throws ConfigError for any other shape.
 */
export function parentFromEnv(env: NodeJS.ProcessEnv): ParentRun | null {
  const value = env.OPENLINEAGE_PARENT_ID?.trim()
  if (!value) return null
  const first = value.indexOf('/')
  const last = value.lastIndexOf('/')
  const parent = { namespace: value.slice(0, first), name: value.slice(first + 1, last), runId: value.slice(last + 1) }
  if (first < 1 || last <= first + 1 || !UUID.test(parent.runId)) {
    throw new ConfigError('OPENLINEAGE_PARENT_ID must be namespace/name/runId, with a UUID as runId (as Airflow sets it).')
  }
  return parent
}

/** The `openlineageParent` start option, checked. */
export function checkParentRun(value: unknown, field: string): ParentRun | undefined {
  if (value === undefined || value === null) return undefined
  const input = value as Record<string, unknown>
  const ok =
    typeof value === 'object' &&
    typeof input.namespace === 'string' &&
    input.namespace.length > 0 &&
    input.namespace.length <= 250 &&
    typeof input.name === 'string' &&
    input.name.length > 0 &&
    input.name.length <= 250 &&
    typeof input.runId === 'string' &&
    UUID.test(input.runId)
  if (!ok) {
    throw new ValidationError(`${field} must be { namespace, name, runId } with names of 1–250 characters and a UUID as runId.`, { field })
  }
  return { namespace: input.namespace as string, name: input.name as string, runId: (input.runId as string).toLowerCase() }
}

/** This run as the parent of what it launches: `namespace/name/runUuid` for OPENLINEAGE_PARENT_ID. */
export function parentId(namespace: string, processName: string, runUuid: string): string {
  return `${namespace}/${processName}/${runUuid}`
}
