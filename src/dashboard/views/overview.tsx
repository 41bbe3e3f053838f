/**
 * Overview: every process with its state, latest run and failure streak; on-hold and failed first,
 * then running, then the rest. Counts per state, a name filter and state chips; pages of 100 rows
 * so 1,000 processes stay quick. Filters live in the URL (`?q=&state=`) so they deep-link.
 */
import { useMemo } from 'preact/hooks'
import { getAll } from '../api.ts'
import { count, STATE_ICONS, STATE_LABELS, STATE_ORDER } from '../format.ts'
import { useLiveRefresh } from '../live.ts'
import { hrefWith, navigate, processHref, runHref } from '../router.ts'
import type { Process, ProcessState } from '../types.ts'
import { Duration, ErrorNotice, Loading, StaleMark, StateBadge, Time, useResource, useTitle } from '../ui.tsx'

const PAGE = 100

/** Overview order: state rank, then name. */
function byUrgency(a: Process, b: Process): number {
  return STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.processName.localeCompare(b.processName)
}

const withParams = (search: URLSearchParams, changes: Record<string, string | null>): string => hrefWith('/', search, changes)

export function Overview({ search }: { search: URLSearchParams }) {
  useTitle('Overview')
  const resource = useResource(() => getAll<Process>('/api/v1/processes?limit=1000', 'processes'), [])
  useLiveRefresh(resource.reload)
  const filter = search.get('q') ?? ''
  const state = (search.get('state') ?? '') as ProcessState | ''
  const page = Math.max(0, Number(search.get('page') ?? 0) || 0)

  const sorted = useMemo(() => [...(resource.data ?? [])].sort(byUrgency), [resource.data])
  const counts = useMemo(() => {
    const result = Object.fromEntries(STATE_ORDER.map((name) => [name, 0])) as Record<ProcessState, number>
    for (const process of sorted) result[process.state] += 1
    return result
  }, [sorted])
  const needle = filter.toLowerCase()
  const shown = sorted.filter(
    (process) => (!state || process.state === state) && (!needle || process.processName.toLowerCase().includes(needle)),
  )
  const pages = Math.max(1, Math.ceil(shown.length / PAGE))
  const current = Math.min(page, pages - 1)
  const rows = shown.slice(current * PAGE, (current + 1) * PAGE)

  return (
    <>
      <h1>Processes</h1>
      <ul class="counts" aria-label="Processes per state">
        {STATE_ORDER.map((name) => (
          <li key={name} class={`count tone-${name}`}>
            <span class="number">{counts[name]}</span> <span aria-hidden="true">{STATE_ICONS[name]} </span>
            {STATE_LABELS[name]}
          </li>
        ))}
      </ul>
      <div class="toolbar">
        <label for="filter">Filter by name</label>
        <input
          id="filter"
          type="search"
          value={filter}
          placeholder="name contains…"
          onInput={(event) => {
            navigate(withParams(search, { q: event.currentTarget.value, page: null }), true)
          }}
        />
        <div class="chips" role="group" aria-label="Show only a state">
          {STATE_ORDER.map((name) => (
            <button
              key={name}
              type="button"
              class={`chip tone-${name}`}
              aria-pressed={state === name}
              onClick={() => {
                navigate(withParams(search, { state: state === name ? null : name, page: null }))
              }}
            >
              <span aria-hidden="true">{STATE_ICONS[name]} </span>
              {STATE_LABELS[name]} ({counts[name]})
            </button>
          ))}
        </div>
      </div>
      {resource.error ? <ErrorNotice error={resource.error} /> : null}
      {resource.data === undefined ? (
        <Loading what="processes" />
      ) : (
        <>
          <p class="muted" role="status">
            {shown.length === sorted.length ? `${sorted.length} processes` : `${shown.length} of ${sorted.length} processes`}
          </p>
          <div class="table-wrap">
            <table class="processes">
              <caption class="visually-hidden">Processes, on hold and failed first</caption>
              <thead>
                <tr>
                  <th scope="col">Process</th>
                  <th scope="col">State</th>
                  <th scope="col">Latest run</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                  <th scope="col" class="num">
                    Records
                  </th>
                  <th scope="col" class="num">
                    Failure streak
                  </th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((process) => {
                  const run = process.latestRun
                  return (
                    <tr key={process.processId} data-process={process.processName}>
                      <th scope="row">
                        <a href={processHref(process.processName)}>{process.processName}</a>
                      </th>
                      <td>
                        <span class="badges">
                          <StateBadge state={process.state} />
                          {run?.stale ? <StaleMark /> : null}
                        </span>
                      </td>
                      <td>{run ? <a href={runHref(run.processTrackingId)}>#{run.processRunId}</a> : '—'}</td>
                      <td>{run ? <Time iso={run.startDateTime} /> : '—'}</td>
                      <td>{run ? <Duration run={run} /> : '—'}</td>
                      <td class="num">{run ? count(run.recordCount) : '—'}</td>
                      <td class="num">{process.failureStreak}</td>
                      <td class="error-text">{run?.lastError ? `${run.lastError.errorType}: ${run.lastError.description ?? ''}` : ''}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
          {pages > 1 ? (
            <nav class="pager" aria-label="Pages of processes">
              <a
                href={withParams(search, { page: current > 0 ? String(current - 1) : null })}
                aria-disabled={current === 0}
                class={current === 0 ? 'disabled' : ''}
              >
                ← Previous
              </a>
              <span>
                Page {current + 1} of {pages}
              </span>
              <a
                href={withParams(search, { page: String(Math.min(current + 1, pages - 1)) })}
                aria-disabled={current === pages - 1}
                class={current === pages - 1 ? 'disabled' : ''}
              >
                Next →
              </a>
            </nav>
          ) : null}
        </>
      )}
    </>
  )
}
