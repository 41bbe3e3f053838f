import type { AddedIndex } from './table-spec.ts'

/**
 * Migration 4 (0.2, the read model): indexes that let the run listings (`listRuns`, `listRunViews`,
 * `countRuns`, `GET /api/v1/runs`) read a filtered page newest first straight off an index, so a
 * page costs the same at a million runs as at a thousand.
 *
 * - (process_id, process_tracking_id): the runs of one process, newest first, from any cursor. The
 *   unique (process_id, process_run_id) orders by run number, which the database cannot know agrees.
 * - (process_run_actor_id, process_tracking_id): the runs of one actor, newest first.
 *
 * The status filter already has (process_status_id, process_tracking_id) from migration 1, and the
 * stale filter reads through it (a stale run has an active status).
 */
export const READ_INDEXES: readonly AddedIndex[] = [
  ['process_tracking', 'process_tracking_idx_process_run', ['process_id', 'process_tracking_id']],
  ['process_tracking', 'process_tracking_idx_actor_run', ['process_run_actor_id', 'process_tracking_id']],
]
