/**
 * The live run events of `/api/v1/events`, for changes made by any writer: this server, another
 * server, or a library user on another machine. The database is the only channel they share, so the
 * feed polls it: runs whose `update_date_time` (indexed by migration 3; every status or count change
 * sets it) is newer than a watermark, re-reading a {@link LOOKBACK_MS} window because a
 * transaction stamps its rows before it commits and clocks of writers differ. What was already sent
 * is remembered by `(run, update time)`, so the window costs reads, not duplicate events. Runs that
 * turned stale (no write happens then) are found by the database clock at each poll.
 *
 * Cursors (`id:` lines, `Last-Event-ID`) are `<update time in ms>-<processTrackingId>`; a reconnect
 * replays every change since the cursor (less the look-back), so nothing is missed; a change may be
 * delivered twice around a reconnect (at-least-once).
 */
import { sql } from 'kysely'
import type { DataStore } from '../api/data-store.ts'
import { single } from '../store/transaction.ts'
import { toDate } from '../store/values.ts'
import { contextOf } from '../store/context.ts'

/** How far behind the watermark each poll re-reads. */
export const LOOKBACK_MS = 15_000
/** Time between polls while anyone listens: events arrive well within 2 s of their commit. */
export const POLL_INTERVAL_MS = 500
const PAGE = 1000

/** One event: a run changed (or turned stale). */
export interface RunEvent {
  /** `<ms>-<id>`: what a client sends back as Last-Event-ID. */
  cursor: string
  /** Identifies the change, for de-duplication. */
  signature: string
  /** The run view, as JSON text. */
  data: string
}

export interface Subscriber {
  /** Called with each event not sent to this subscriber yet. */
  send(event: RunEvent): void
  /** Signatures already sent (or known at connection time). */
  readonly sent: Set<string>
}

interface Change {
  id: number
  updateMs: number
}

/** Parses a `Last-Event-ID`; null when it is not one of ours. */
export function parseCursor(value: string | undefined): number | null {
  const match = /^(\d{1,15})-(\d{1,15})$/.exec(value ?? '')
  return match ? Number(match[1]) : null
}

export class EventFeed {
  readonly #store: DataStore
  readonly #subscribers = new Set<Subscriber>()
  #timer: NodeJS.Timeout | undefined
  #watermark: number | null = null
  /** Signatures inside the look-back window, with their update time, to seed new subscribers. */
  readonly #window = new Map<string, number>()
  #staleSent = new Set<number>()
  #polling: Promise<void> | null = null
  #closed = false

  constructor(store: DataStore) {
    this.#store = store
  }

  /**
   * Adds a subscriber. With a cursor, first replays every change since it; without one, only
   * changes after now are sent.
   */
  async subscribe(subscriber: Subscriber, cursorMs: number | null): Promise<void> {
    if (cursorMs === null) {
      await this.#pollOnce()
      for (const signature of this.#window.keys()) subscriber.sent.add(signature)
      for (const id of this.#staleSent) subscriber.sent.add(`${id}:stale`)
    } else {
      let since = cursorMs - LOOKBACK_MS
      for (;;) {
        const changes = await this.#changesSince(since)
        for (const change of changes) await this.#deliver(change, [subscriber])
        if (changes.length < PAGE) break
        since = changes[changes.length - 1]?.updateMs ?? since
      }
      await this.#deliverStale([subscriber], true)
    }
    this.#subscribers.add(subscriber)
    this.#timer ??= setInterval(() => {
      void this.#pollOnce().catch((error: unknown) => {
        contextOf(this.#store).logger.warn({ err: error }, 'event feed poll failed')
      })
    }, POLL_INTERVAL_MS)
  }

  unsubscribe(subscriber: Subscriber): void {
    this.#subscribers.delete(subscriber)
    if (this.#subscribers.size === 0 && this.#timer) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }

  close(): void {
    this.#closed = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    this.#subscribers.clear()
  }

  /** One poll at a time; a caller arriving during one waits for it. */
  #pollOnce(): Promise<void> {
    this.#polling ??= this.#poll().finally(() => (this.#polling = null))
    return this.#polling
  }

  async #poll(): Promise<void> {
    if (this.#closed) return
    const subscribers = [...this.#subscribers]
    let since = (this.#watermark ?? Date.now()) - LOOKBACK_MS
    let newest = this.#watermark ?? 0
    for (;;) {
      const changes = await this.#changesSince(since)
      for (const change of changes) {
        newest = Math.max(newest, change.updateMs)
        const signature = `${change.id}:${change.updateMs}`
        if (this.#window.has(signature)) continue
        this.#window.set(signature, change.updateMs)
        await this.#deliver(change, subscribers)
      }
      if (changes.length < PAGE) break
      since = changes[changes.length - 1]?.updateMs ?? since
    }
    this.#watermark = newest || Date.now()
    for (const [signature, updateMs] of this.#window) if (updateMs < this.#watermark - 2 * LOOKBACK_MS) this.#window.delete(signature)
    await this.#deliverStale(subscribers, false)
  }

  async #deliver(change: Change, subscribers: Subscriber[]): Promise<void> {
    const signature = `${change.id}:${change.updateMs}`
    const targets = subscribers.filter((subscriber) => !subscriber.sent.has(signature))
    if (targets.length === 0) return
    const event = { cursor: `${change.updateMs}-${change.id}`, signature, data: JSON.stringify(await this.#store.getRun(change.id)) }
    for (const subscriber of targets) {
      subscriber.sent.add(signature)
      subscriber.send(event)
    }
  }

  /** Runs that are stale now: an event the first time each is seen so (by this feed, or per subscriber on replay). */
  async #deliverStale(subscribers: Subscriber[], replay: boolean): Promise<void> {
    const ids = await this.#staleRunIds()
    const now = new Set(ids)
    for (const id of ids) {
      if (!replay && this.#staleSent.has(id)) continue
      const signature = `${id}:stale`
      const targets = subscribers.filter((subscriber) => !subscriber.sent.has(signature))
      if (targets.length > 0) {
        const event = { cursor: `${Date.now()}-${id}`, signature, data: JSON.stringify(await this.#store.getRun(id)) }
        for (const subscriber of targets) {
          subscriber.sent.add(signature)
          subscriber.send(event)
        }
      }
    }
    if (!replay) this.#staleSent = now
  }

  async #changesSince(sinceMs: number): Promise<Change[]> {
    const rows = await single(contextOf(this.#store), (db) =>
      db
        .selectFrom('process_tracking')
        .select(['process_tracking_id', 'update_date_time'])
        .where('update_date_time', '>', new Date(sinceMs))
        .orderBy('update_date_time')
        .orderBy('process_tracking_id')
        .limit(PAGE)
        .execute(),
    )
    return rows.map((row) => ({ id: Number(row.process_tracking_id), updateMs: toDate(row.update_date_time)?.getTime() ?? 0 }))
  }

  async #staleRunIds(): Promise<number[]> {
    const { adapter } = contextOf(this.#store)
    const rows = await single(contextOf(this.#store), (db) =>
      db
        .selectFrom('process_tracking as t')
        .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
        .select('t.process_tracking_id')
        .where('t.is_latest_run', '=', true)
        .where('s.process_status_category', '=', 'active')
        .where('t.heartbeat_timeout_seconds', 'is not', null)
        .where(sql<boolean>`${adapter.secondsSince('t.last_heartbeat_date_time')} > t.heartbeat_timeout_seconds`)
        .execute(),
    )
    return rows.map((row) => Number(row.process_tracking_id))
  }
}
