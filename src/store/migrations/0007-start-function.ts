import { sql } from 'kysely'
import type { Db, DialectAdapter } from '../dialect/adapter.ts'

/** The function's name, as `src/tracker/start.ts` calls it. */
export const START_FUNCTION = 'processtracker_start'

/**
 * Migration 7 (0.2, unreleased), PostgreSQL only: `processtracker_start`, the common case of a start
 * as ONE statement run in autocommit (issue 15). It does what `startRun`'s transaction does for a
 * process that exists, with every id the start needs already known to the caller:
 *
 * 1. Locks the process row without queueing (`FOR UPDATE SKIP LOCKED` on one row by its key is
 *    `NOWAIT` without the error, so no subtransaction is needed to catch it). When another start
 *    holds it, reads the latest runs without the lock: a refusal there is returned at once (as
 *    `refuseFromSnapshot`); otherwise it waits for the lock (`FOR UPDATE`, bounded by lock_timeout).
 * 2. Reads the latest runs of the process and of its direct non-Soft parents, as `readLatestRuns`
 *    does. Each statement of a VOLATILE function takes a new snapshot under READ COMMITTED, so this
 *    read sees what the previous holder of the lock committed.
 * 3. Applies the start rules of api.md: a refusal (parent not succeeded, own run active or held)
 *    writes nothing and returns the latest runs, from which the caller builds the very error
 *    `decide` builds; a failure streak at the threshold (an `on hold` run to record), a stale run (to
 *    reap), a taken run name, a process whose type, tool or frequency the start changes, or a
 *    missing process return `fallback`, and the caller runs its transaction instead. With
 *    `p_may_start` false (the caller lacks an id or link the run needs: a store whose starts were
 *    all refused never committed its links) it only refuses, and leaves an allowed start to the
 *    transaction.
 * 4. Inserts the `running` run (database clock; first heartbeat when it has a timeout), moves the
 *    latest-run flag, and writes the START outbox row when lineage is on (the columns
 *    `insertStartEventFromCte` writes).
 *
 * A reply lost on the way back leaves the run findable by `p_run_uuid` (unique), which the caller
 * generated. Outcomes: `started` (started_id, started_number), `refused` (latest_runs), `fallback`.
 */
const START_FUNCTION_SQL = `create or replace function ${START_FUNCTION}(
  p_process_id integer, p_process_name text,
  p_type_id integer, p_tool_id integer, p_frequency_id integer,
  p_actor_id integer, p_status_id integer, p_run_uuid text, p_run_name text, p_heartbeat_timeout integer,
  p_audit_user text, p_max_failures integer, p_may_start boolean,
  p_lineage boolean, p_namespace text, p_nominal text, p_parent_namespace text, p_parent_name text, p_parent_run_id text,
  out start_outcome text, out started_id integer, out started_number integer, out latest_runs json)
language plpgsql volatile
as $fn$
declare
  v_process record;
  v_wait boolean := false;
  v_locked boolean;
  v_any_stale boolean;
  v_parent_blocks boolean;
  v_own_id integer;
  v_own_number integer;
  v_own_category text;
  v_category text;
  v_streak integer := 0;
  v_start timestamptz;
  v_count bigint;
  v_low timestamptz;
  v_high timestamptz;
begin
  -- The first try does not queue for the lock (NOWAIT); a busy lock gets a refusal from the
  -- committed state when it has one, else the wait for the lock (as startRun's transaction).
  loop
    if v_wait then
      select process_type_id, process_tool_id, schedule_frequency_id into v_process
        from process where process_id = p_process_id and process_name = p_process_name for update;
    else
      select process_type_id, process_tool_id, schedule_frequency_id into v_process
        from process where process_id = p_process_id and process_name = p_process_name for update skip locked;
    end if;
    v_locked := found;
    if not v_locked then
      if not v_wait then
        perform 1 from process where process_id = p_process_id and process_name = p_process_name;
      end if;
      if v_wait or not found then
        start_outcome := 'fallback';
        return;
      end if;
    elsif (p_type_id is not null and p_type_id is distinct from v_process.process_type_id)
       or (p_tool_id is not null and p_tool_id is distinct from v_process.process_tool_id)
       or (p_frequency_id is not null and p_frequency_id is distinct from v_process.schedule_frequency_id) then
      start_outcome := 'fallback';
      return;
    end if;

    select coalesce(json_agg(json_build_object(
        'process_tracking_id', t.process_tracking_id,
        'process_id', t.process_id,
        'process_name', p.process_name,
        'process_run_id', t.process_run_id,
        'process_status_name', s.process_status_name,
        'process_status_category', s.process_status_category,
        'stale', case when t.heartbeat_timeout_seconds is not null
          and extract(epoch from (now() - t.last_heartbeat_date_time))::float8 > t.heartbeat_timeout_seconds then 1 else 0 end
      ) order by p.process_name), '[]'::json)
      into latest_runs
      from process_tracking t
      join process_status_lkup s on s.process_status_id = t.process_status_id
      join process p on p.process_id = t.process_id
      where t.is_latest_run = true
        and (t.process_id = p_process_id or t.process_id in (
          select d.parent_process_id from process_dependency d
            join dependency_type_lkup dt on dt.dependency_type_id = d.dependency_type_id
            where d.child_process_id = p_process_id and dt.dependency_type_name <> 'Soft'));

    select
        coalesce(bool_or((r->>'stale')::integer = 1 and r->>'process_status_category' = 'active'), false),
        coalesce(bool_or((r->>'process_id')::integer <> p_process_id and r->>'process_status_category' <> 'succeeded'), false),
        max((r->>'process_tracking_id')::integer) filter (where (r->>'process_id')::integer = p_process_id),
        max((r->>'process_run_id')::integer) filter (where (r->>'process_id')::integer = p_process_id),
        max(r->>'process_status_category') filter (where (r->>'process_id')::integer = p_process_id)
      into v_any_stale, v_parent_blocks, v_own_id, v_own_number, v_own_category
      from json_array_elements(latest_runs) r;
    exit when v_locked;
    if not v_any_stale and (v_parent_blocks or v_own_category in ('active', 'held')) then
      start_outcome := 'refused';
      return;
    end if;
    v_wait := true;
  end loop;
  if v_any_stale then
    start_outcome := 'fallback';
    return;
  end if;
  if v_parent_blocks or v_own_category in ('active', 'held') then
    start_outcome := 'refused';
    return;
  end if;
  if not p_may_start then
    start_outcome := 'fallback';
    return;
  end if;
  if v_own_category = 'failed' and p_max_failures > 0 then
    for v_category in
      select s.process_status_category from process_tracking t
        join process_status_lkup s on s.process_status_id = t.process_status_id
        where t.process_id = p_process_id order by t.process_run_id desc limit p_max_failures
    loop
      exit when v_category <> 'failed';
      v_streak := v_streak + 1;
    end loop;
    if v_streak >= p_max_failures then
      start_outcome := 'fallback';
      return;
    end if;
  end if;
  if p_run_name is not null then
    perform 1 from process_tracking where process_run_name = p_run_name;
    if found then
      start_outcome := 'fallback';
      return;
    end if;
  end if;

  insert into process_tracking (process_id, process_status_id, process_run_id, process_run_start_date_time,
      process_run_end_date_time, process_run_actor_id, is_latest_run, run_uuid, process_run_name,
      heartbeat_timeout_seconds, last_heartbeat_date_time, created_by, updated_by)
    values (p_process_id, p_status_id, coalesce(v_own_number, 0) + 1, now(), null, p_actor_id, true, p_run_uuid, p_run_name,
      p_heartbeat_timeout, case when p_heartbeat_timeout is not null then now() end, p_audit_user, p_audit_user)
    returning process_tracking_id, process_run_id, process_run_start_date_time, process_run_record_count,
      process_run_low_date_time, process_run_high_date_time
    into started_id, started_number, v_start, v_count, v_low, v_high;
  if v_own_id is not null then
    update process_tracking set is_latest_run = false where process_tracking_id = v_own_id;
  end if;
  if p_lineage then
    insert into lineage_outbox (process_tracking_id, event_type, event_time, job_namespace, run_status_id, run_record_count,
        run_low_date_time, run_high_date_time, nominal_start_time, parent_namespace, parent_name, parent_run_id)
      values (started_id, 'START', v_start, p_namespace, p_status_id, v_count, v_low, v_high,
        p_nominal, p_parent_namespace, p_parent_name, p_parent_run_id);
  end if;
  start_outcome := 'started';
  latest_runs := null;
end
$fn$`

/** Creates (or replaces) {@link START_FUNCTION} on PostgreSQL; nothing on the other dialects. */
export async function createStartFunction(db: Db, adapter: DialectAdapter): Promise<void> {
  if (adapter.dialect !== 'postgresql') return
  await sql.raw(START_FUNCTION_SQL).execute(db)
}
