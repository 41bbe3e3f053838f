/** Small building blocks shared by the views: badges, times, dialogs, loading and error notices. */
import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from './api.ts'
import { humanDuration, localTime, runDuration, STATE_ICONS, STATE_LABELS, statusTone, utcOffset } from './format.ts'
import type { ProcessState, Run } from './types.ts'

/** A process state: icon and words, coloured (colour is never the only carrier). */
export function StateBadge({ state }: { state: ProcessState }) {
  return (
    <span class={`badge tone-${state}`}>
      <span aria-hidden="true">{STATE_ICONS[state]} </span>
      {STATE_LABELS[state]}
    </span>
  )
}

/** A run status (any status name, coloured by its category). */
export function StatusBadge({ status, stale = false }: { status: string; stale?: boolean }) {
  const tone = statusTone(status)
  return (
    <span class="badges">
      <span class={`badge tone-${tone}`}>
        <span aria-hidden="true">{STATE_ICONS[tone]} </span>
        {status}
      </span>
      {stale ? <StaleMark /> : null}
    </span>
  )
}

/** "stale": the run's heartbeat was lost. */
export function StaleMark() {
  return (
    <span class="badge tone-stale" title="No heartbeat within the run's timeout: the worker is probably gone">
      <span aria-hidden="true">⚠ </span>stale
    </span>
  )
}

/** A time in the browser's zone; hover or focus shows the UTC offset and the UTC instant. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span>—</span>
  return (
    <time dateTime={iso} title={`${utcOffset(iso)} · ${iso}`}>
      {localTime(iso)}
    </time>
  )
}

/** A run's humanised duration (running runs count up to now). */
export function Duration({ run }: { run: Run }) {
  return <span>{humanDuration(runDuration(run))}</span>
}

/** A failed request, said in words with the API's message. */
export function ErrorNotice({ error }: { error: unknown }) {
  const message = error instanceof ApiError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error)
  return (
    <p class="notice error" role="alert">
      {message}
    </p>
  )
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  )
}

/** What `useResource` gives a view. */
export interface Resource<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  reload: () => void
}

/**
 * Loads data for a view and reloads it on demand; the previous data stays on screen while a reload
 * runs, so live refreshes never flicker. A stale answer (deps changed meanwhile) is dropped.
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: null,
    loading: true,
  })
  const generation = useRef(0)
  const loadRef = useRef(load)
  loadRef.current = load
  const reload = useCallback(() => {
    const mine = ++generation.current
    setState((previous) => ({ ...previous, loading: true }))
    loadRef.current().then(
      (data) => {
        if (mine === generation.current) setState({ data, error: null, loading: false })
      },
      (error: unknown) => {
        if (mine === generation.current) setState((previous) => ({ data: previous.data, error, loading: false }))
      },
    )
  }, [])
  useEffect(() => {
    setState({ data: undefined, error: null, loading: true })
    reload()
  }, deps)
  return { ...state, reload }
}

/**
 * A modal confirmation (the native `<dialog>`: focus is trapped and Escape cancels). With
 * `reasonLabel` it also asks for a text, given to `onConfirm`.
 */
export function ConfirmDialog(props: {
  title: string
  children: ComponentChildren
  confirmLabel: string
  reasonLabel?: string
  onConfirm: (reason: string) => void
  onCancel: () => void
}) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [reason, setReason] = useState('')
  useEffect(() => {
    const element = dialog.current
    if (element && !element.open) element.showModal()
  }, [])
  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault()
        props.onCancel()
      }}
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault()
          props.onConfirm(reason)
        }}
      >
        <h2 id="confirm-title">{props.title}</h2>
        <div>{props.children}</div>
        {props.reasonLabel ? (
          <p>
            <label for="confirm-reason">{props.reasonLabel}</label>
            <input
              id="confirm-reason"
              type="text"
              value={reason}
              onInput={(event) => {
                setReason(event.currentTarget.value)
              }}
            />
          </p>
        ) : null}
        <div class="actions">
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" class="primary">
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  )
}

/** A titled section of a page. */
export function Section({ title, id, children }: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  )
}

/** Sets the document title (screen readers announce it on navigation). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · ProcessTracker`
  }, [title])
}
