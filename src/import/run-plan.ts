/**
 * The run mends, decided before anything is copied: which duplicate run numbers get renumbered,
 * which run is each process's latest, and which second active runs are imported as failed. Only
 * aggregates and the (few) offending rows are read here, so memory does not grow with the history.
 */
import type { StatusCategory } from '../store/context.ts'
import type { SourceConnection } from './source.ts'

/** A run whose duplicate process_run_id is renumbered after the process's highest. */
export interface Renumbering {
  processTrackingId: number
  processId: number
  from: number
  to: number
}

/** An active run imported as failed because a later active run of its process exists. */
export interface SecondActiveRun {
  processTrackingId: number
  processId: number
  /** The active run that stays active. */
  keptProcessTrackingId: number
  /** When the race became visible: the kept run's start (text as read). */
  keptStart: unknown
}

export interface RunPlan {
  renumbered: Map<number, Renumbering>
  /** The one latest run of every process. */
  latest: Set<number>
  secondActive: Map<number, SecondActiveRun>
}

const num = (value: unknown) => Number(value)

/** Decides the run mends from the source snapshot. */
export async function planRuns(source: SourceConnection, categories: Map<number, StatusCategory>): Promise<RunPlan> {
  const t = source.table('process_tracking')
  const maxes = new Map<number, number>()
  for (const row of await source.query(`select process_id, max(process_run_id) as m from ${t} group by process_id`)) {
    maxes.set(num(row.process_id), num(row.m))
  }

  // Duplicates: the first by tracking id keeps its number, the others follow the highest, in
  // tracking-id order per process.
  const duplicates = await source.query(
    `select t.process_tracking_id, t.process_id, t.process_run_id from ${t} t
     join (select process_id, process_run_id from ${t} group by process_id, process_run_id having count(*) > 1) d
       on d.process_id = t.process_id and d.process_run_id = t.process_run_id
     order by t.process_id, t.process_run_id, t.process_tracking_id`,
  )
  const extraByProcess = new Map<number, { id: number; runId: number }[]>()
  let previous: string | undefined
  for (const row of duplicates) {
    const key = `${String(row.process_id)}/${String(row.process_run_id)}`
    if (key !== previous) {
      previous = key
      continue // the first of its group keeps the number
    }
    const list = extraByProcess.get(num(row.process_id)) ?? []
    list.push({ id: num(row.process_tracking_id), runId: num(row.process_run_id) })
    extraByProcess.set(num(row.process_id), list)
  }
  const renumbered = new Map<number, Renumbering>()
  const latest = new Set<number>()
  const latestOf = new Map<number, number>()
  for (const [processId, list] of extraByProcess) {
    list.sort((a, b) => a.id - b.id)
    let next = maxes.get(processId) ?? 0
    for (const run of list) {
      next += 1
      renumbered.set(run.id, { processTrackingId: run.id, processId, from: run.runId, to: next })
    }
    const last = list[list.length - 1]
    if (last) latestOf.set(processId, last.id)
  }

  // Without renumbering, the latest run is the one with the highest number (ties by tracking id).
  const tops = await source.query(
    `select t.process_id, max(t.process_tracking_id) as id from ${t} t
     join (select process_id, max(process_run_id) as m from ${t} group by process_id) m
       on m.process_id = t.process_id and t.process_run_id = m.m
     group by t.process_id`,
  )
  for (const row of tops) if (!latestOf.has(num(row.process_id))) latestOf.set(num(row.process_id), num(row.id))
  for (const id of latestOf.values()) latest.add(id)

  const activeIds = [...categories].filter(([, category]) => category === 'active').map(([id]) => id)
  const secondActive = new Map<number, SecondActiveRun>()
  if (activeIds.length > 0) {
    const placeholders = activeIds.map((_, i) => source.param(i + 1)).join(', ')
    const active = await source.query(
      `select process_tracking_id, process_id, process_run_id, process_run_start_date_time from ${t}
       where process_status_id in (${placeholders})
         and process_id in (select process_id from ${t} where process_status_id in (${activeIds
           .map((_, i) => source.param(activeIds.length + i + 1))
           .join(', ')}) group by process_id having count(*) > 1)
       order by process_id, process_tracking_id`,
      [...activeIds, ...activeIds],
    )
    const byProcess = new Map<number, { id: number; runId: number; start: unknown }[]>()
    for (const row of active) {
      const id = num(row.process_tracking_id)
      const list = byProcess.get(num(row.process_id)) ?? []
      list.push({ id, runId: renumbered.get(id)?.to ?? num(row.process_run_id), start: row.process_run_start_date_time })
      byProcess.set(num(row.process_id), list)
    }
    for (const [processId, list] of byProcess) {
      // The latest active run stays active: highest (renumbered) run number, ties by tracking id.
      list.sort((a, b) => a.runId - b.runId || a.id - b.id)
      const kept = list[list.length - 1]
      if (!kept) continue
      for (const run of list.slice(0, -1)) {
        secondActive.set(run.id, { processTrackingId: run.id, processId, keptProcessTrackingId: kept.id, keptStart: kept.start })
      }
    }
  }
  return { renumbered, latest, secondActive }
}
