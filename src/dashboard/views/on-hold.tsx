/**
 * On hold: every held process with its failure streak, its last error and when it was held. Admin
 * tokens release one or several at once; the release is confirmed first, and each result is said.
 */
import { useState } from 'preact/hooks'
import { getAll, get, query, segment, send } from '../api.ts'
import { streakOf } from '../format.ts'
import { useLiveRefresh } from '../live.ts'
import { processHref, runHref } from '../router.ts'
import type { Process, Run, Session } from '../types.ts'
import { ConfirmDialog, ErrorNotice, Loading, Time, useResource, useTitle } from '../ui.tsx'

interface Held {
  process: Process
  /** The newest error among the last runs (the hold run itself records none). */
  lastError: Run['lastError']
  heldAt: string | null
  streak: number
}

async function loadHeld(): Promise<Held[]> {
  const processes = await getAll<Process>('/api/v1/processes?state=on-hold&limit=1000', 'processes')
  return Promise.all(
    processes.map(async (process): Promise<Held> => {
      const { runs } = await get<{ runs: Run[] }>(`/api/v1/runs${query({ process: process.processName, limit: 20 })}`)
      const withError = runs.find((run) => run.lastError !== null)
      return {
        process,
        lastError: withError?.lastError ?? null,
        heldAt: process.latestRun?.startDateTime ?? null,
        streak: Math.max(process.failureStreak, streakOf(runs)),
      }
    }),
  )
}

interface Outcome {
  name: string
  run?: Run
  error?: unknown
}

export function OnHoldView({ session }: { session: Session }) {
  useTitle('On hold')
  const resource = useResource(loadHeld, [])
  useLiveRefresh(resource.reload)
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [confirming, setConfirming] = useState<string[] | null>(null)
  const [outcomes, setOutcomes] = useState<Outcome[]>([])
  const admin = session.scope === 'admin'

  const release = async (names: string[]) => {
    setConfirming(null)
    const results: Outcome[] = []
    for (const name of names) {
      try {
        const { run } = await send<{ run: Run }>('POST', `/api/v1/processes/${segment(name)}/release-hold`)
        results.push({ name, run })
      } catch (error) {
        results.push({ name, error })
      }
    }
    setOutcomes(results)
    setSelected(new Set())
    resource.reload()
  }

  const toggle = (name: string, on: boolean) => {
    const next = new Set(selected)
    if (on) next.add(name)
    else next.delete(name)
    setSelected(next)
  }

  const held = resource.data ?? []
  return (
    <>
      <h1>On hold</h1>
      {resource.error ? <ErrorNotice error={resource.error} /> : null}
      {outcomes.length > 0 ? (
        <ul class="notice ok" role="status" aria-label="Release results">
          {outcomes.map((outcome) => (
            <li key={outcome.name}>
              {outcome.run ? (
                <>
                  {outcome.name}: released — run <a href={runHref(outcome.run.processTrackingId)}>#{outcome.run.processRunId}</a> is{' '}
                  {outcome.run.status}.
                </>
              ) : (
                <span class="error-text">
                  {outcome.name}: not released — {outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}
                </span>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title={confirming.length === 1 ? `Release the hold on ${confirming[0] ?? ''}?` : `Release ${confirming.length} holds?`}
          confirmLabel={confirming.length === 1 ? 'Release hold' : `Release ${confirming.length} holds`}
          onConfirm={() => {
            void release(confirming)
          }}
          onCancel={() => {
            setConfirming(null)
          }}
        >
          <ul>
            {confirming.map((name) => (
              <li key={name}>{name}</li>
            ))}
          </ul>
          <p>Each held run becomes "released" and the next start may run. Children stay blocked until the parent completes a run.</p>
        </ConfirmDialog>
      ) : null}
      {resource.data === undefined ? (
        <Loading what="held processes" />
      ) : held.length === 0 ? (
        <p class="notice ok">No process is on hold.</p>
      ) : (
        <>
          {admin ? (
            <p>
              <button
                type="button"
                class="primary"
                disabled={selected.size === 0}
                onClick={() => {
                  setConfirming([...selected])
                }}
              >
                Release selected ({selected.size})
              </button>
            </p>
          ) : null}
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Processes on hold</caption>
              <thead>
                <tr>
                  {admin ? (
                    <th scope="col">
                      <input
                        type="checkbox"
                        aria-label="Select every held process"
                        checked={selected.size === held.length}
                        onChange={(event) => {
                          setSelected(event.currentTarget.checked ? new Set(held.map((item) => item.process.processName)) : new Set())
                        }}
                      />
                    </th>
                  ) : null}
                  <th scope="col">Process</th>
                  <th scope="col" class="num">
                    Failure streak
                  </th>
                  <th scope="col">Last error</th>
                  <th scope="col">Held since</th>
                  {admin ? <th scope="col">Action</th> : null}
                </tr>
              </thead>
              <tbody>
                {held.map(({ process, lastError, heldAt, streak }) => (
                  <tr key={process.processId} data-process={process.processName}>
                    {admin ? (
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Select ${process.processName}`}
                          checked={selected.has(process.processName)}
                          onChange={(event) => {
                            toggle(process.processName, event.currentTarget.checked)
                          }}
                        />
                      </td>
                    ) : null}
                    <th scope="row">
                      <a href={processHref(process.processName)}>{process.processName}</a>
                    </th>
                    <td class="num">{streak}</td>
                    <td class="error-text">{lastError ? `${lastError.errorType}: ${lastError.description ?? ''}` : '—'}</td>
                    <td>
                      <Time iso={heldAt} />
                    </td>
                    {admin ? (
                      <td>
                        <button
                          type="button"
                          aria-label={`Release hold on ${process.processName}`}
                          onClick={() => {
                            setConfirming([process.processName])
                          }}
                        >
                          Release
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  )
}
