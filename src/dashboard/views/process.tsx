/**
 * One process: run-history chart (last 100 runs), records per run, the streak strip, `why` in words,
 * parents and children with their states, attributes, a paginated run table, and — for admin
 * tokens, when the process is on hold — a confirmed Release hold.
 */
import { useState } from 'preact/hooks'
import { ApiError, get, query, segment, send } from '../api.ts'
import { RecordCountChart, RunHistoryChart, StreakStrip } from '../charts.tsx'
import { count, streakOf } from '../format.ts'
import { useLiveRefresh } from '../live.ts'
import { processHref, runHref } from '../router.ts'
import type { Explanation, Process, Relative, Run, Session } from '../types.ts'
import { ConfirmDialog, Duration, ErrorNotice, Loading, Section, StateBadge, StatusBadge, Time, useResource, useTitle } from '../ui.tsx'

interface ProcessPage {
  process: Process
  history: Run[]
  explanation: Explanation
  relatives: Map<string, Process | null>
}

async function loadProcess(name: string): Promise<ProcessPage> {
  const path = `/api/v1/processes/${segment(name)}`
  const [{ process }, { runs }, explanation] = await Promise.all([
    get<{ process: Process }>(path),
    get<{ runs: Run[] }>(`/api/v1/runs${query({ process: name, limit: 100 })}`),
    get<Explanation>(`${path}/explain`),
  ])
  const names = [...new Set([...process.parents, ...process.children].map((relative) => relative.processName))]
  const relatives = new Map<string, Process | null>()
  await Promise.all(
    names.map(async (relative) => {
      relatives.set(
        relative,
        await get<{ process: Process }>(`/api/v1/processes/${segment(relative)}`).then(
          (answer) => answer.process,
          () => null,
        ),
      )
    }),
  )
  return { process, history: runs, explanation, relatives }
}

/** `explain` in words: allowed, or which rule and which run blocks the next start. */
export function Why({ explanation }: { explanation: Explanation }) {
  if (explanation.allowed) return <p class="notice ok">A start now would be allowed.</p>
  const rules: Record<string, string> = {
    dependency: 'a parent has not completed',
    running: 'a run is still running',
    'on-hold': 'the process is on hold',
    'failure-threshold': 'its failure streak reached max_concurrent_failures',
  }
  return (
    <p class="notice warn">
      A start now would be refused: {rules[explanation.rule ?? ''] ?? explanation.rule}
      {explanation.blockingProcessName ? (
        <>
          {' '}
          (blocking process <a href={processHref(explanation.blockingProcessName)}>{explanation.blockingProcessName}</a>)
        </>
      ) : null}
      {explanation.blockingRunId ? (
        <>
          {' '}
          — blocking run <a href={runHref(explanation.blockingRunId)}>{explanation.blockingRunId}</a>
        </>
      ) : null}
      .{explanation.message ? <span class="detail"> {explanation.message}</span> : null}
    </p>
  )
}

function Relatives({ title, id, list, states }: { title: string; id: string; list: Relative[]; states: Map<string, Process | null> }) {
  return (
    <Section title={title} id={id}>
      {list.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul class="relatives">
          {list.map((relative) => {
            const process = states.get(relative.processName)
            return (
              <li key={relative.processName}>
                <a href={processHref(relative.processName)}>{relative.processName}</a> <span class="muted">({relative.type})</span>{' '}
                {process ? <StateBadge state={process.state} /> : null}
              </li>
            )
          })}
        </ul>
      )}
    </Section>
  )
}

/** The run table, 20 per page, newest first, paged with the API's cursor. */
function RunTable({ name, version }: { name: string; version: number }) {
  const [cursors, setCursors] = useState<string[]>([`/api/v1/runs${query({ process: name, limit: 20, count: true })}`])
  const current = cursors[cursors.length - 1] ?? ''
  const page = useResource(() => get<{ runs: Run[]; next: string | null; total?: number | string }>(current), [current, version])
  return (
    <Section title="Runs" id="runs-title">
      {page.error ? <ErrorNotice error={page.error} /> : null}
      {page.data === undefined ? (
        <Loading what="runs" />
      ) : (
        <>
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Runs of {name}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Started</th>
                  <th scope="col">Ended</th>
                  <th scope="col">Duration</th>
                  <th scope="col" class="num">
                    Records
                  </th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {page.data.runs.map((run) => (
                  <tr key={run.processTrackingId}>
                    <th scope="row">
                      <a href={runHref(run.processTrackingId)}>#{run.processRunId}</a>
                    </th>
                    <td>
                      <StatusBadge status={run.status} stale={run.stale} />
                    </td>
                    <td>{run.actorName ?? '—'}</td>
                    <td>
                      <Time iso={run.startDateTime} />
                    </td>
                    <td>
                      <Time iso={run.endDateTime} />
                    </td>
                    <td>
                      <Duration run={run} />
                    </td>
                    <td class="num">{count(run.recordCount)}</td>
                    <td class="error-text">{run.lastError ? `${run.lastError.errorType}: ${run.lastError.description ?? ''}` : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages of runs">
            <button
              type="button"
              disabled={cursors.length === 1}
              onClick={() => {
                setCursors(cursors.slice(0, -1))
              }}
            >
              ← Newer
            </button>
            <span>
              Page {cursors.length}
              {page.data.total === undefined ? '' : ` · ${page.data.total} runs`}
            </span>
            <button
              type="button"
              disabled={!page.data.next}
              onClick={() => {
                if (page.data?.next) setCursors([...cursors, page.data.next])
              }}
            >
              Older →
            </button>
          </nav>
        </>
      )}
    </Section>
  )
}

export function ProcessView({ name, session }: { name: string; session: Session }) {
  useTitle(name)
  const resource = useResource(() => loadProcess(name), [name])
  const [version, setVersion] = useState(0)
  useLiveRefresh(
    () => {
      resource.reload()
      setVersion((value) => value + 1)
    },
    (run) => run.processName === name || (resource.data?.relatives.has(run.processName) ?? false),
  )
  const [confirming, setConfirming] = useState(false)
  const [released, setReleased] = useState<Run | null>(null)
  const [actionError, setActionError] = useState<unknown>(null)

  if (resource.data === undefined) {
    return (
      <>
        <h1>{name}</h1>
        {resource.error ? <ErrorNotice error={resource.error} /> : <Loading what="the process" />}
      </>
    )
  }
  const { process, history, explanation, relatives } = resource.data
  const canRelease =
    session.scope === 'admin' && (process.onHold || explanation.rule === 'on-hold' || explanation.rule === 'failure-threshold')

  const release = async () => {
    setConfirming(false)
    setActionError(null)
    try {
      const { run } = await send<{ run: Run }>('POST', `/api/v1/processes/${segment(name)}/release-hold`)
      setReleased(run)
      resource.reload()
      setVersion((value) => value + 1)
    } catch (error) {
      setActionError(error instanceof ApiError ? error : new Error(String(error)))
    }
  }

  return (
    <>
      <h1>
        {process.processName} <StateBadge state={process.state} />
      </h1>
      {resource.error ? <ErrorNotice error={resource.error} /> : null}
      <Why explanation={explanation} />
      {canRelease ? (
        <p>
          <button
            type="button"
            class="primary"
            onClick={() => {
              setConfirming(true)
            }}
          >
            Release hold
          </button>
        </p>
      ) : null}
      {released ? (
        <p class="notice ok" role="status">
          Hold released: run <a href={runHref(released.processTrackingId)}>#{released.processRunId}</a> is now {released.status}.
        </p>
      ) : null}
      {actionError ? <ErrorNotice error={actionError} /> : null}
      {confirming ? (
        <ConfirmDialog
          title={`Release the hold on ${process.processName}?`}
          confirmLabel="Release hold"
          onConfirm={() => {
            void release()
          }}
          onCancel={() => {
            setConfirming(false)
          }}
        >
          <p>The held run becomes "released" and the next start may run. Children stay blocked until this process completes a run.</p>
        </ConfirmDialog>
      ) : null}

      <Section title="Run history" id="history-title">
        <RunHistoryChart runs={history} />
        <RecordCountChart runs={history} />
      </Section>
      <Section title="Failure streak" id="streak-title">
        <StreakStrip runs={history} streak={Math.max(process.failureStreak, streakOf(history))} max={session.maxConcurrentFailures} />
      </Section>
      <div class="columns">
        <Section title="Attributes" id="attributes-title">
          <dl class="facts">
            <dt>Type</dt>
            <dd>{process.processType ?? '—'}</dd>
            <dt>Tool</dt>
            <dd>{process.toolName ?? '—'}</dd>
            <dt>Schedule</dt>
            <dd>{process.scheduleFrequency}</dd>
            {process.sources ? (
              <>
                <dt>Sources</dt>
                <dd>{process.sources.join(', ') || '—'}</dd>
              </>
            ) : null}
            {process.targets ? (
              <>
                <dt>Targets</dt>
                <dd>{process.targets.join(', ') || '—'}</dd>
              </>
            ) : null}
            <dt>Total records</dt>
            <dd>{count(process.totalRecordCount)}</dd>
            <dt>Last completed</dt>
            <dd>
              <Time iso={process.lastCompletedRunDateTime} />
            </dd>
            <dt>Last failed</dt>
            <dd>
              <Time iso={process.lastFailedRunDateTime} />
            </dd>
          </dl>
        </Section>
        <Relatives title="Parents" id="parents-title" list={process.parents} states={relatives} />
        <Relatives title="Children" id="children-title" list={process.children} states={relatives} />
      </div>
      <RunTable key={name} name={name} version={version} />
    </>
  )
}
