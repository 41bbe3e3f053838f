/** Sign-in: a token is checked by the server and kept in an HttpOnly cookie, never in the page. */
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, signIn } from '../api.ts'
import type { Session } from '../types.ts'
import { useTitle } from '../ui.tsx'

export function SignIn({ onSignedIn, expired }: { onSignedIn: (session: Session) => void; expired: boolean }) {
  useTitle('Sign in')
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => {
    input.current?.focus()
  }, [])

  const submit = async () => {
    setBusy(true)
    setError(null)
    try {
      onSignedIn(await signIn(token.trim()))
    } catch (caught) {
      setError(caught instanceof ApiError ? `Sign-in refused: ${caught.message}` : `Sign-in failed: ${String(caught)}`)
      input.current?.focus()
    } finally {
      setBusy(false)
    }
  }

  return (
    <main id="main" class="sign-in">
      <h1>ProcessTracker</h1>
      {expired ? (
        <p class="notice warn" role="status">
          Your session ended (the token was revoked or the cookie expired). Sign in again.
        </p>
      ) : null}
      <form
        onSubmit={(event) => {
          event.preventDefault()
          void submit()
        }}
      >
        <p>
          <label for="token">Token</label>
          <input
            ref={input}
            id="token"
            name="token"
            type="password"
            autoComplete="current-password"
            required
            value={token}
            aria-describedby="token-help"
            aria-invalid={error ? true : undefined}
            onInput={(event) => {
              setToken(event.currentTarget.value)
            }}
          />
        </p>
        <p id="token-help" class="muted">
          A token made with <code>processtracker token create NAME --scope read|write|admin</code>. It is kept in an HttpOnly cookie until
          you sign out.
        </p>
        {error ? (
          <p class="notice error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  )
}
