/**
 * Calls to the HTTP API. The token travels in the dashboard's HttpOnly cookie, never in script
 * memory; every request carries `X-ProcessTracker-Dashboard: 1`, a header a cross-site form cannot
 * send, which the server requires before it accepts the cookie on a write.
 */
import type { Session } from './types.ts'

/** The header that marks a request as the dashboard's own (see `src/server/dashboard/cookie.ts`). */
export const DASHBOARD_HEADER = 'X-ProcessTracker-Dashboard'

/** An error answer of the API: `{ error: { code, message, details } }`. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: Record<string, unknown>

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.status = status
    this.code = code
    this.details = details
  }
}

let onUnauthenticated: () => void = () => undefined

/** Called when the API answers 401 (the cookie expired or the token was revoked). */
export function whenUnauthenticated(callback: () => void): void {
  onUnauthenticated = callback
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { [DASHBOARD_HEADER]: '1', Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  if (response.status === 204) return undefined as T
  const text = await response.text()
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    parsed = null
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error
    if (response.status === 401 && !path.startsWith('/dashboard/')) onUnauthenticated()
    throw new ApiError(
      response.status,
      error?.code ?? `HTTP_${response.status}`,
      error?.message ?? `The server answered ${response.status}.`,
      error?.details ?? {},
    )
  }
  return parsed as T
}

/** GET a JSON resource. */
export function get<T>(path: string): Promise<T> {
  return request<T>('GET', path)
}

/** POST (or another write) with an optional JSON body. */
export function send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return request<T>(method, path, body)
}

/** Follows `next` until the list ends or `max` items were read. */
export async function getAll<T>(path: string, key: string, max = 10_000): Promise<T[]> {
  const items: T[] = []
  let url: string | null = path
  while (url !== null && items.length < max) {
    const page: Record<string, unknown> & { next: string | null } = await get(url)
    items.push(...(page[key] as T[]))
    url = page.next
  }
  return items
}

/** A path segment, percent-encoded (process names may hold `/`, `%`, spaces…). */
export function segment(value: string | number): string {
  return encodeURIComponent(String(value))
}

/** A query string from the defined values. */
export function query(values: Record<string, string | number | boolean | undefined | null>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** Who the visitor is (the dashboard's own route; reads the cookie, touches no tracking data). */
export function loadSession(): Promise<Session> {
  return get<Session>('/dashboard/session')
}

/** Signs in: the server checks the token and keeps it in an HttpOnly cookie. */
export function signIn(token: string): Promise<Session> {
  return send<Session>('POST', '/dashboard/sign-in', { token })
}

/** Signs out: the server clears the cookie. */
export function signOut(): Promise<void> {
  return send<undefined>('POST', '/dashboard/sign-out')
}
