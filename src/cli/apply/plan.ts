/**
 * What `apply` would change: each declared process and dependency compared with the store, as
 * `create`, `update` (with what differs) or `unchanged` — and, with `--prune`, `delete` for the
 * dependencies the file no longer names — then the changes written in one transaction.
 */
import { NotFoundError, type DataStore, type ProcessView } from '../../index.ts'
import { contextOf, type StoreContext } from '../../store/context.ts'
import { transaction } from '../../store/transaction.ts'
import { addClusterProcess, addProcessDependency, removeProcessDependency } from '../../tracker/admin.ts'
import { defineProcess } from '../../tracker/define-process.ts'
import { LOOKUP, ensureLink, requireId } from '../../tracker/lookup-ids.ts'
import { inOneTransaction } from './one-transaction.ts'
import type { DeclaredDependency, DeclaredProcess, Pipeline } from './pipeline-file.ts'

/** One line of the plan; `changes` says what an update changes. */
export interface PlanItem {
  action: 'create' | 'update' | 'unchanged' | 'delete'
  kind: 'process' | 'dependency'
  name: string
  changes?: string[]
}

/** The plan, and what to do for each item. */
export interface Plan {
  items: PlanItem[]
  processes: { declared: DeclaredProcess; missingContacts: string[]; joinCluster: boolean; define: boolean }[]
  add: DeclaredDependency[]
  remove: { parent: string; child: string }[]
}

/** `Parent -> Child`: how a dependency is named in the plan. */
export function dependencyName(parent: string, child: string): string {
  return `${parent} -> ${child}`
}

/** The contact and cluster names linked to a process (no public reader has them). */
async function linkedNames(store: DataStore, processId: number): Promise<{ contacts: string[]; clusters: string[] }> {
  const { db } = contextOf(store)
  try {
    const contacts = await db
      .selectFrom('process_contact as pc')
      .innerJoin('contact_lkup as c', 'c.contact_id', 'pc.contact_id')
      .select('c.contact_name as name')
      .where('pc.process_id', '=', processId)
      .execute()
    const clusters = await db
      .selectFrom('cluster_process as cp')
      .innerJoin('cluster_tracking_lkup as c', 'c.cluster_id', 'cp.cluster_id')
      .select('c.cluster_name as name')
      .where('cp.process_id', '=', processId)
      .execute()
    return { contacts: contacts.map((row) => row.name), clusters: clusters.map((row) => row.name) }
  } catch (error) {
    throw contextOf(store).translate(error)
  }
}

async function viewOf(store: DataStore, name: string): Promise<ProcessView | null> {
  try {
    return await store.getProcessView(name)
  } catch (error) {
    if (error instanceof NotFoundError) return null
    throw error
  }
}

/** What differs between a declared process and the stored one (only keys the file gives count). */
async function processChanges(store: DataStore, declared: DeclaredProcess, view: ProcessView) {
  const changes: string[] = []
  const differs = (label: string, wanted: string | undefined, stored: string | null) => {
    if (wanted !== undefined && wanted !== stored) changes.push(`${label}: ${stored ?? 'none'} -> ${wanted}`)
  }
  differs('type', declared.processType, view.processType)
  differs('tool', declared.toolName, view.toolName)
  differs('scheduleFrequency', declared.scheduleFrequency, view.scheduleFrequency)
  for (const source of declared.sources) if (!view.sources.includes(source)) changes.push(`+ source ${source}`)
  for (const target of declared.targets) if (!view.targets.includes(target)) changes.push(`+ target ${target}`)
  const linked = await linkedNames(store, view.processId)
  const missingContacts = declared.contacts.filter((contact) => !linked.contacts.includes(contact))
  for (const contact of missingContacts) changes.push(`+ contact ${contact}`)
  const joinCluster = declared.cluster !== undefined && !linked.clusters.includes(declared.cluster)
  if (joinCluster) changes.push(`+ cluster ${declared.cluster ?? ''}`)
  return { changes, missingContacts, joinCluster }
}

/**
 * Compares the file with the store. `prune`: also plan to delete the dependencies that touch a process
 * the file declares but that the file does not name (dependencies between processes the file does not
 * declare are left alone: the file does not own them).
 */
export async function makePlan(store: DataStore, pipeline: Pipeline, prune: boolean): Promise<Plan> {
  const plan: Plan = { items: [], processes: [], add: [], remove: [] }
  for (const declared of pipeline.processes) {
    const view = await viewOf(store, declared.processName)
    if (view === null) {
      plan.items.push({ action: 'create', kind: 'process', name: declared.processName })
      plan.processes.push({ declared, missingContacts: declared.contacts, joinCluster: declared.cluster !== undefined, define: true })
      continue
    }
    const { changes, missingContacts, joinCluster } = await processChanges(store, declared, view)
    plan.items.push(
      changes.length === 0
        ? { action: 'unchanged', kind: 'process', name: declared.processName }
        : { action: 'update', kind: 'process', name: declared.processName, changes },
    )
    const define = changes.some((change) => !change.startsWith('+ contact') && !change.startsWith('+ cluster'))
    if (changes.length > 0) plan.processes.push({ declared, missingContacts, joinCluster, define })
  }
  const { edges } = await store.getDependencyGraph()
  const stored = new Map(edges.map((edge) => [`${edge.parent}\u0000${edge.child}`, edge.type]))
  for (const dependency of pipeline.dependencies) {
    const name = dependencyName(dependency.parent, dependency.child)
    const type = stored.get(`${dependency.parent}\u0000${dependency.child}`)
    if (type === undefined) {
      plan.items.push({ action: 'create', kind: 'dependency', name, changes: [dependency.type] })
      plan.add.push(dependency)
    } else if (type !== dependency.type) {
      plan.items.push({ action: 'update', kind: 'dependency', name, changes: [`type: ${type} -> ${dependency.type}`] })
      plan.add.push(dependency)
    } else {
      plan.items.push({ action: 'unchanged', kind: 'dependency', name })
    }
  }
  if (prune) {
    const declared = new Set(pipeline.processes.map((process) => process.processName))
    const named = new Set(pipeline.dependencies.map((dependency) => `${dependency.parent}\u0000${dependency.child}`))
    for (const edge of edges) {
      if (named.has(`${edge.parent}\u0000${edge.child}`) || !(declared.has(edge.parent) || declared.has(edge.child))) continue
      plan.items.push({ action: 'delete', kind: 'dependency', name: dependencyName(edge.parent, edge.child) })
      plan.remove.push({ parent: edge.parent, child: edge.child })
    }
  }
  return plan
}

/** Links a process to contacts (which must exist: a contact carries an e-mail the file does not give). */
async function linkContacts(ctx: StoreContext, processName: string, contacts: readonly string[]): Promise<void> {
  if (contacts.length === 0) return
  await transaction(ctx, async (tx) => {
    const row = await tx.db.selectFrom('process').select('process_id').where('process_name', '=', processName).executeTakeFirstOrThrow()
    for (const contact of contacts) {
      const contactId = await requireId(tx, LOOKUP.contact, contact)
      await ensureLink(tx, 'process_contact', { process_id: Number(row.process_id), contact_id: contactId })
    }
  })
}

/**
 * Writes the plan in one transaction: pruned dependencies first (so a re-pointed edge cannot look like
 * a cycle), then processes, their contacts and clusters, then the new and changed dependencies.
 */
export async function applyPlan(store: DataStore, plan: Plan): Promise<void> {
  await inOneTransaction(contextOf(store), async (ctx) => {
    for (const { parent, child } of plan.remove) await removeProcessDependency(ctx, parent, child)
    for (const { declared, missingContacts, joinCluster, define } of plan.processes) {
      if (define) {
        await defineProcess(ctx, {
          processName: declared.processName,
          processType: declared.processType,
          toolName: declared.toolName,
          scheduleFrequency: declared.scheduleFrequency,
          sources: declared.sources,
          targets: declared.targets,
        })
      }
      await linkContacts(ctx, declared.processName, missingContacts)
      if (joinCluster && declared.cluster !== undefined) await addClusterProcess(ctx, declared.cluster, declared.processName)
    }
    for (const { parent, child, type } of plan.add) await addProcessDependency(ctx, parent, child, { type })
  })
}
