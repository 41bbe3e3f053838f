/**
 * Extracts: filter by location, status and filename substring (all in the URL, so they deep-link);
 * each extract with its location, status, size, counts and the run that last changed it; selecting
 * one shows its status history (`?extract=ID`).
 */
import { useState } from 'preact/hooks'
import { get, getAll, query } from '../api.ts'
import { count, fileSize } from '../format.ts'
import { useLiveRefresh } from '../live.ts'
import { hrefWith, navigate, runHref } from '../router.ts'
import type { Extract, ExtractHistoryEntry, Location } from '../types.ts'
import { ErrorNotice, Loading, Section, Time, useResource, useTitle } from '../ui.tsx'

const href = (search: URLSearchParams, changes: Record<string, string | null>): string => hrefWith('/extracts', search, changes)

function History({ id }: { id: number }) {
  const resource = useResource(async () => {
    const [{ extract }, { history }] = await Promise.all([
      get<{ extract: Extract }>(`/api/v1/extracts/${id}`),
      get<{ history: ExtractHistoryEntry[] }>(`/api/v1/extracts/${id}/history`),
    ])
    return { extract, history }
  }, [id])
  useLiveRefresh(resource.reload)
  return (
    <Section title={resource.data ? `History of ${resource.data.extract.filename}` : `History of extract ${id}`} id="history-title">
      {resource.error ? <ErrorNotice error={resource.error} /> : null}
      {resource.data === undefined ? (
        <Loading what="the history" />
      ) : (
        <>
          <p class="muted">{resource.data.extract.fullFilename}</p>
          <ol class="history">
            {resource.data.history.map((entry, index) => (
              <li key={index}>
                <Time iso={entry.eventDateTime} /> <strong>{entry.status}</strong> by run{' '}
                <a href={runHref(entry.processTrackingId)}>{entry.processTrackingId}</a>
              </li>
            ))}
          </ol>
        </>
      )}
    </Section>
  )
}

export function ExtractsView({ search }: { search: URLSearchParams }) {
  useTitle('Extracts')
  const location = search.get('location') ?? ''
  const status = search.get('status') ?? ''
  const filename = search.get('filename') ?? ''
  const selected = Number(search.get('extract') ?? 0)
  const [draft, setDraft] = useState(filename)
  const [more, setMore] = useState<{ extracts: Extract[]; next: string | null } | null>(null)

  const options = useResource(async () => {
    const [locations, { items }] = await Promise.all([
      getAll<Location>('/api/v1/locations?limit=1000', 'locations', 5000),
      get<{ items: string[] }>('/api/v1/lookups/extract-status'),
    ])
    return { locations, statuses: items }
  }, [])
  const list = useResource(() => {
    setMore(null)
    return get<{ extracts: Extract[]; next: string | null }>(
      `/api/v1/extracts${query({ locationName: location, status, filename, limit: 50 })}`,
    )
  }, [location, status, filename])
  useLiveRefresh(list.reload)

  const extracts = [...(list.data?.extracts ?? []), ...(more?.extracts ?? [])]
  const next = more ? more.next : (list.data?.next ?? null)

  return (
    <>
      <h1>Extracts</h1>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault()
          navigate(href(search, { filename: draft, extract: null }))
        }}
      >
        <label for="extract-location">Location</label>
        <select
          id="extract-location"
          value={location}
          onChange={(event) => {
            navigate(href(search, { location: event.currentTarget.value, extract: null }))
          }}
        >
          <option value="">every location</option>
          {(options.data?.locations ?? []).map((item) => (
            <option key={item.locationId} value={item.locationName}>
              {item.locationName}
            </option>
          ))}
        </select>
        <label for="extract-status">Status</label>
        <select
          id="extract-status"
          value={status}
          onChange={(event) => {
            navigate(href(search, { status: event.currentTarget.value, extract: null }))
          }}
        >
          <option value="">every status</option>
          {(options.data?.statuses ?? []).map((item) => (
            <option key={item} value={item}>
              {item}
            </option>
          ))}
        </select>
        <label for="extract-filename">Filename contains</label>
        <input
          id="extract-filename"
          type="search"
          value={draft}
          onInput={(event) => {
            setDraft(event.currentTarget.value)
          }}
        />
        <button type="submit">Filter</button>
      </form>
      {options.error ? <ErrorNotice error={options.error} /> : null}
      {list.error ? <ErrorNotice error={list.error} /> : null}
      <div class="columns wide-left">
        <div>
          {list.data === undefined ? (
            <Loading what="extracts" />
          ) : extracts.length === 0 ? (
            <p class="muted">No extract matches.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Extracts, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">File</th>
                    <th scope="col">Location</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">
                      Size
                    </th>
                    <th scope="col" class="num">
                      Written
                    </th>
                    <th scope="col" class="num">
                      Loaded
                    </th>
                    <th scope="col">Last changed by</th>
                  </tr>
                </thead>
                <tbody>
                  {extracts.map((extract) => (
                    <tr key={extract.extractId} aria-current={extract.extractId === selected ? 'true' : undefined}>
                      <th scope="row">
                        <a href={href(search, { extract: String(extract.extractId) })}>{extract.filename}</a>
                      </th>
                      <td>{extract.location.locationName}</td>
                      <td>{extract.status}</td>
                      <td class="num">{fileSize(extract.fileSize)}</td>
                      <td class="num">{count(extract.writeRecordCount)}</td>
                      <td class="num">{count(extract.loadRecordCount)}</td>
                      <td>
                        {extract.lastChangedByTrackingId ? (
                          <a href={runHref(extract.lastChangedByTrackingId)}>run {extract.lastChangedByTrackingId}</a>
                        ) : (
                          '—'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {next ? (
            <button
              type="button"
              onClick={() => {
                void get<{ extracts: Extract[]; next: string | null }>(next).then((page) => {
                  setMore({ extracts: [...(more?.extracts ?? []), ...page.extracts], next: page.next })
                })
              }}
            >
              Load more
            </button>
          ) : null}
        </div>
        {selected > 0 ? <History id={selected} /> : <p class="muted">Select an extract to see its history.</p>}
      </div>
    </>
  )
}
