/**
 * The dashboard (dashboard.md): the app shell — session, navigation, live status — and the router
 * that picks a view. It reads and writes only through the HTTP API of http.md.
 */
import { render } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { loadSession, signOut, whenUnauthenticated } from './api.ts'
import { startLive, stopLive, useLiveStatus } from './live.ts'
import { onLinkClick, parseRoute, useLocation } from './router.ts'
import './style.css'
import type { Session } from './types.ts'
import { ErrorNotice, Loading } from './ui.tsx'
import { ExtractsView } from './views/extracts.tsx'
import { GraphView } from './views/graph.tsx'
import { OnHoldView } from './views/on-hold.tsx'
import { Overview } from './views/overview.tsx'
import { ProcessView } from './views/process.tsx'
import { RunView } from './views/run.tsx'
import { SignIn } from './views/sign-in.tsx'

const NAV = [
  ['/', 'Overview'],
  ['/graph', 'Graph'],
  ['/on-hold', 'On hold'],
  ['/extracts', 'Extracts'],
] as const

function LiveIndicator() {
  const status = useLiveStatus()
  const words = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' }
  return (
    <span class={`live live-${status}`} role="status" aria-live="polite">
      <span aria-hidden="true">{status === 'live' ? '● ' : '○ '}</span>
      {words[status]}
    </span>
  )
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const { pathname, search } = useLocation()
  const route = parseRoute(pathname)
  useEffect(() => {
    startLive()
  }, [])
  const firstView = useRef(true)
  useEffect(() => {
    if (firstView.current) {
      firstView.current = false
      return
    }
    // A new view: move focus to its heading so screen readers announce it and Tab starts there.
    const heading = document.querySelector<HTMLElement>('main h1')
    if (heading) {
      heading.tabIndex = -1
      heading.focus({ preventScroll: true })
    }
    window.scrollTo(0, 0)
  }, [pathname])

  let view
  switch (route.view) {
    case 'overview':
      view = <Overview search={search} />
      break
    case 'process':
      view = <ProcessView key={route.name} name={route.name} session={session} />
      break
    case 'run':
      view = <RunView key={route.id} id={route.id} session={session} />
      break
    case 'graph':
      view = <GraphView />
      break
    case 'on-hold':
      view = <OnHoldView session={session} />
      break
    case 'extracts':
      view = <ExtractsView search={search} />
      break
    case 'not-found':
      view = (
        <>
          <h1>Not found</h1>
          <p>
            There is no page at {route.path}. <a href="/">Go to the overview.</a>
          </p>
        </>
      )
      break
  }
  const current = route.view === 'process' || route.view === 'run' ? '' : pathname

  return (
    <div onClick={onLinkClick}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a href="/" class="brand">
          ProcessTracker
        </a>
        <nav aria-label="Views">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}>
                <a href={href} aria-current={current === href ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <LiveIndicator />
        {session.authRequired ? (
          <span class="who">
            {session.name} ({session.scope}){' '}
            <button type="button" onClick={onSignOut}>
              Sign out
            </button>
          </span>
        ) : (
          <span class="who muted">no sign-in (--no-auth)</span>
        )}
      </header>
      <main id="main">{view}</main>
    </div>
  )
}

function App() {
  const [session, setSession] = useState<Session | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [expired, setExpired] = useState(false)

  useEffect(() => {
    loadSession().then(setSession, setError)
    whenUnauthenticated(() => {
      stopLive()
      setExpired(true)
      setSession((current) => (current ? { ...current, signedIn: false, name: null, scope: null } : current))
    })
  }, [])

  if (error) return <ErrorNotice error={error} />
  if (!session) return <Loading what="the dashboard" />
  if (session.authRequired && !session.signedIn) {
    return (
      <SignIn
        expired={expired}
        onSignedIn={(next) => {
          setExpired(false)
          setSession(next)
        }}
      />
    )
  }
  return (
    <Shell
      session={session}
      onSignOut={() => {
        stopLive()
        signOut().then(() => {
          setSession({ ...session, signedIn: false, name: null, scope: null })
        }, setError)
      }}
    />
  )
}

const root = document.getElementById('app')
if (root) render(<App />, root)
