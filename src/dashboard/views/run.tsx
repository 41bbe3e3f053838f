/**
 * One run: every field, its heartbeat (stale when lost), its errors in time order, its extracts
 * (each linking to the extract's history) and — for admin tokens, on an active run — Fail run,
 * which asks for a reason.
 */
import { useState } from 'preact/hooks'
import { get, send } from '../api.ts'
import { count, statusCategory } from '../format.ts'
import { useLiveRefresh } from '../live.ts'
import { processHref } from '../router.ts'
import type { Extract, Run, RunError, Session } from '../types.ts'
import { ConfirmDialog, Duration, ErrorNotice, Loading, Section, StatusBadge, Time, useResource, useTitle } from '../ui.tsx'

interface RunPage {
  run: Run
  errors: RunError[]
  extracts: Extract[]
}

async function loadRun(id: number): Promise<RunPage> {
  const [{ run }, { errors }, { extracts }] = await Promise.all([
    get<{ run: Run }>(`/api/v1/runs/${id}`),
    get<{ errors: RunError[] }>(`/api/v1/runs/${id}/errors`),
    get<{ extracts: Extract[] }>(`/api/v1/runs/${id}/extracts`),
  ])
  return { run, errors, extracts }
}

export function RunView({ id, session }: { id: number; session: Session }) {
  useTitle(`Run ${id}`)
  const resource = useResource(() => loadRun(id), [id])
  useLiveRefresh(resource.reload, (run) => run.processTrackingId === id)
  const [confirming, setConfirming] = useState(false)
  const [actionError, setActionError] = useState<unknown>(null)

  if (resource.data === undefined) {
    return (
      <>
        <h1>Run {id}</h1>
        {resource.error ? <ErrorNotice error={resource.error} /> : <Loading what="the run" />}
      </>
    )
  }
  const { run, errors, extracts } = resource.data
  const canFail = session.scope === 'admin' && statusCategory(run.status) === 'active'

  const fail = async (reason: string) => {
    setConfirming(false)
    setActionError(null)
    try {
      await send('POST', `/api/v1/runs/${id}/fail`, reason.trim() ? { reason: reason.trim() } : {})
      resource.reload()
    } catch (error) {
      setActionError(error)
    }
  }

  return (
    <>
      <h1>
        <a href={processHref(run.processName)}>{run.processName}</a> run #{run.processRunId}{' '}
        <StatusBadge status={run.status} stale={run.stale} />
      </h1>
      {resource.error ? <ErrorNotice error={resource.error} /> : null}
      {canFail ? (
        <p>
          <button
            type="button"
            class="danger"
            onClick={() => {
              setConfirming(true)
            }}
          >
            Fail run
          </button>
        </p>
      ) : null}
      {actionError ? <ErrorNotice error={actionError} /> : null}
      {confirming ? (
        <ConfirmDialog
          title={`Fail run #${run.processRunId} of ${run.processName}?`}
          confirmLabel="Fail run"
          reasonLabel="Reason (recorded as a Process Error)"
          onConfirm={(reason) => {
            void fail(reason)
          }}
          onCancel={() => {
            setConfirming(false)
          }}
        >
          <p>The run is marked failed now; its worker will be refused its next change.</p>
        </ConfirmDialog>
      ) : null}
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={run.status} stale={run.stale} />
        </dd>
        <dt>Run number</dt>
        <dd>{run.processRunId}</dd>
        <dt>Tracking id</dt>
        <dd>{run.processTrackingId}</dd>
        {run.processRunName ? (
          <>
            <dt>Run name</dt>
            <dd>{run.processRunName}</dd>
          </>
        ) : null}
        <dt>Actor</dt>
        <dd>{run.actorName ?? '—'}</dd>
        <dt>Started</dt>
        <dd>
          <Time iso={run.startDateTime} />
        </dd>
        <dt>Ended</dt>
        <dd>
          <Time iso={run.endDateTime} />
        </dd>
        <dt>Duration</dt>
        <dd>
          <Duration run={run} />
          {run.endDateTime ? '' : ' (so far)'}
        </dd>
        <dt>Heartbeat</dt>
        <dd>
          {run.heartbeatTimeoutSeconds === null ? (
            'none asked'
          ) : (
            <>
              timeout {run.heartbeatTimeoutSeconds}s, last beat <Time iso={run.lastHeartbeatDateTime} />
              {run.stale ? ' — stale: no beat within the timeout' : ''}
            </>
          )}
        </dd>
        <dt>Records</dt>
        <dd>
          {count(run.recordCount)} (inserted {count(run.insertCount)}, updated {count(run.updateCount)})
        </dd>
        <dt>Low date</dt>
        <dd>
          <Time iso={run.lowDateTime} />
        </dd>
        <dt>High date</dt>
        <dd>
          <Time iso={run.highDateTime} />
        </dd>
      </dl>
      <Section title={`Errors (${errors.length})`} id="errors-title">
        {errors.length === 0 ? (
          <p class="muted">No errors.</p>
        ) : (
          <ol class="errors">
            {errors.map((error, index) => (
              <li key={index}>
                <Time iso={error.occurredAt} /> <strong>{error.errorType}</strong>:{' '}
                <span class="error-text">{error.description ?? ''}</span>
              </li>
            ))}
          </ol>
        )}
      </Section>
      <Section title={`Extracts (${extracts.length})`} id="extracts-title">
        {extracts.length === 0 ? (
          <p class="muted">No extracts registered or claimed.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Extracts of this run</caption>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Location</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Written
                  </th>
                  <th scope="col" class="num">
                    Loaded
                  </th>
                </tr>
              </thead>
              <tbody>
                {extracts.map((extract) => (
                  <tr key={extract.extractId}>
                    <th scope="row">
                      <a href={`/extracts?extract=${extract.extractId}`}>{extract.filename}</a>
                    </th>
                    <td>{extract.location.locationName}</td>
                    <td>{extract.status}</td>
                    <td class="num">{count(extract.writeRecordCount)}</td>
                    <td class="num">{count(extract.loadRecordCount)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  )
}
