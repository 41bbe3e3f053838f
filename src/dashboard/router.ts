/**
 * A history-API router: every view has its own URL, links are real `<a href>` (so open-in-new-tab
 * and the back button work), and clicks are handled without a reload.
 */
import { useEffect, useState } from 'preact/hooks'

/** The view a URL names. */
export type Route =
  | { view: 'overview' }
  | { view: 'process'; name: string }
  | { view: 'run'; id: number }
  | { view: 'graph' }
  | { view: 'on-hold' }
  | { view: 'extracts' }
  | { view: 'not-found'; path: string }

/** Reads a path into a route. */
export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { view: 'overview' }
  if (pathname === '/graph') return { view: 'graph' }
  if (pathname === '/on-hold') return { view: 'on-hold' }
  if (pathname === '/extracts') return { view: 'extracts' }
  const process = /^\/processes\/([^/]+)$/.exec(pathname)
  if (process?.[1]) {
    try {
      return { view: 'process', name: decodeURIComponent(process[1]) }
    } catch {
      return { view: 'not-found', path: pathname }
    }
  }
  const run = /^\/runs\/(\d+)$/.exec(pathname)
  if (run?.[1]) return { view: 'run', id: Number(run[1]) }
  return { view: 'not-found', path: pathname }
}

/** The URL of a process's page. */
export const processHref = (name: string): string => `/processes/${encodeURIComponent(name)}`
/** The URL of a run's page. */
export const runHref = (id: number): string => `/runs/${id}`

const listeners = new Set<() => void>()
window.addEventListener('popstate', () => {
  for (const listener of listeners) listener()
})

/** Goes to `href` inside the dashboard (a new history entry unless `replace`). */
export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href)
  else history.pushState(null, '', href)
  for (const listener of listeners) listener()
}

/** The current location; re-renders on navigation and on the back/forward buttons. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const [, setTick] = useState(0)
  useEffect(() => {
    const listener = () => {
      setTick((tick) => tick + 1)
    }
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
    }
  }, [])
  return { pathname: location.pathname, search: new URLSearchParams(location.search) }
}

/** Handles a click on an in-app link: plain left clicks navigate without a reload. */
export function onLinkClick(event: MouseEvent): void {
  const anchor = (event.target as Element | null)?.closest('a')
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
  const href = anchor.getAttribute('href')
  // getAttribute, not .target: SVG links (the graph's boxes) have an animated-string `target`.
  if (!href?.startsWith('/') || anchor.getAttribute('target') || anchor.hasAttribute('download')) return
  event.preventDefault()
  if (href !== location.pathname + location.search) navigate(href)
}

/** `path` with the current query changed: a null or empty value removes its parameter. */
export function hrefWith(path: string, search: URLSearchParams, changes: Record<string, string | null>): string {
  const next = new URLSearchParams(search)
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === '') next.delete(key)
    else next.set(key, value)
  }
  const text = next.toString()
  return text ? `${path}?${text}` : path
}
