/**
 * The dashboard's sign-in cookie. The token is kept in an `HttpOnly` (no script can read it),
 * `SameSite=Strict` (never sent from another site) cookie, `Secure` under TLS. The API accepts it in
 * place of `Authorization: Bearer` — on a write only together with the `X-ProcessTracker-Dashboard`
 * header, which a cross-site form cannot send — so a forged request from another site is refused
 * even by a browser that ignores SameSite.
 */
import type { FastifyRequest } from 'fastify'

/** The cookie holding the token. */
export const COOKIE_NAME = 'pt_dashboard'
/** The header the dashboard sends on every request (lower case, as node gives headers). */
export const DASHBOARD_HEADER = 'x-processtracker-dashboard'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The value of cookie `name` in a `Cookie` header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null
  for (const part of header.split(';')) {
    const index = part.indexOf('=')
    if (index < 0) continue
    if (part.slice(0, index).trim() !== name) continue
    const value = part.slice(index + 1).trim()
    try {
      return decodeURIComponent(value) || null
    } catch {
      return null
    }
  }
  return null
}

/** True when the request carries the dashboard's header (`X-ProcessTracker-Dashboard: 1`). */
export function fromDashboard(request: FastifyRequest): boolean {
  return request.headers[DASHBOARD_HEADER] === '1'
}

/**
 * The `Authorization` value to authenticate a request with: its own header when it has one, else
 * the dashboard cookie's token — on reads always (an EventSource cannot add headers), on writes
 * only with the dashboard header. Anything else gets no token, hence a 401.
 */
export function authorizationFor(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header) return header
  const token = readCookie(request.headers.cookie, COOKIE_NAME)
  if (!token) return undefined
  if (!SAFE_METHODS.has(request.method) && !fromDashboard(request)) return undefined
  return `Bearer ${token}`
}

/** `Set-Cookie` for a signed-in session (a browser-session cookie: it ends with the browser). */
export function sessionCookie(token: string, secure: boolean): string {
  return `${COOKIE_NAME}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
}

/** `Set-Cookie` that removes the session cookie. */
export function clearedCookie(secure: boolean): string {
  return `${COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${secure ? '; Secure' : ''}`
}
