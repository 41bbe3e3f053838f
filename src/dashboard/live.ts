/**
 * Live updates from `GET /api/v1/events` (Server-Sent Events, `event: run`). One stream for the whole
 * page; views subscribe and refetch what they show. The browser's EventSource reconnects by itself
 * with `Last-Event-ID`; when the server refuses the stream (it closes for good) a new one is opened
 * after a pause, and every view refetches once the stream is back, so nothing missed stays missing.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Run } from './types.ts'

/** `live` while the stream is open; `reconnecting` while it is down. */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting'

type RunListener = (run: Run | null) => void

const runListeners = new Set<RunListener>()
const statusListeners = new Set<(status: LiveStatus) => void>()
let status: LiveStatus = 'connecting'
let source: EventSource | null = null
let retryTimer: number | undefined
let wasDown = false

function setStatus(next: LiveStatus): void {
  status = next
  for (const listener of statusListeners) listener(next)
}

/** Opens the stream (idempotent). */
export function startLive(): void {
  if (source) return
  const events = new EventSource('/api/v1/events')
  source = events
  events.onopen = () => {
    setStatus('live')
    if (wasDown) {
      wasDown = false
      // Whatever happened while the stream was down: every view reads afresh.
      for (const listener of runListeners) listener(null)
    }
  }
  events.addEventListener('run', (event: MessageEvent<string>) => {
    let run: Run
    try {
      run = JSON.parse(event.data) as Run
    } catch {
      return
    }
    for (const listener of runListeners) listener(run)
  })
  events.onerror = () => {
    wasDown = true
    setStatus('reconnecting')
    if (events.readyState === EventSource.CLOSED) {
      source = null
      clearTimeout(retryTimer)
      retryTimer = window.setTimeout(startLive, 3000)
    }
  }
}

/** Closes the stream (on sign-out). */
export function stopLive(): void {
  clearTimeout(retryTimer)
  source?.close()
  source = null
  setStatus('connecting')
}

/** The stream's status, re-rendering on change. */
export function useLiveStatus(): LiveStatus {
  const [current, setCurrent] = useState(status)
  useEffect(() => {
    statusListeners.add(setCurrent)
    setCurrent(status)
    return () => {
      statusListeners.delete(setCurrent)
    }
  }, [])
  return current
}

/**
 * Calls `refresh` shortly after a run event that `relevant` accepts (and after every reconnect),
 * coalescing bursts: at most one refetch a second, so a busy system does not flood the API.
 */
export function useLiveRefresh(refresh: () => void, relevant: (run: Run) => boolean = () => true): void {
  const latest = useRef({ refresh, relevant })
  latest.current = { refresh, relevant }
  useEffect(() => {
    let timer: number | undefined
    let last = 0
    const listener: RunListener = (run) => {
      if (run && !latest.current.relevant(run)) return
      // A refetch already due covers this event too; a busy stream refetches at most once a second.
      if (timer !== undefined) return
      timer = window.setTimeout(
        () => {
          timer = undefined
          last = Date.now()
          latest.current.refresh()
        },
        Math.max(150, last + 1000 - Date.now()),
      )
    }
    runListeners.add(listener)
    return () => {
      clearTimeout(timer)
      runListeners.delete(listener)
    }
  }, [])
}
