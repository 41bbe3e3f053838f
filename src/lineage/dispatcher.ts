/**
 * Sends the outbox (lineage.md "Delivery"): oldest first, each run's events in order, at least once.
 *
 * Claiming: a short transaction selects the oldest pending rows that are due and are the *head* of
 * their run (no older pending row of the same run), `FOR UPDATE SKIP LOCKED` on PostgreSQL and
 * MySQL (SQLite's write lock serialises claimers), and leases them to this dispatcher. Sending
 * happens after that transaction commits, so no lock is held while a receiver is slow. A second
 * dispatcher skips leased rows, and — because a leased row is still pending — also every later
 * row of that run: a run's FAIL never overtakes its START. A dispatcher killed mid-send leaves its
 * lease to expire; its rows are then claimed again (at least once, never lost).
 *
 * Sending follows the OpenLineage Python client's HTTP policy: up to 5 tries on 5xx, 429 and
 * network errors with exponential backoff (0.3 s factor), then the row stays pending and is tried
 * again after a growing delay, capped at 10 minutes. Any other 4xx marks it `rejected` with the
 * response, logged once. Sent rows are kept 7 days, then deleted in bounded batches.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import type { StoreContext } from '../store/context.ts'
import { transaction } from '../store/transaction.ts'
import { toDate } from '../store/values.ts'
import type { LineageConfig } from './config.ts'
import { buildRunEvent } from './event-builder.ts'
import { readEventFacts, toOutboxRow, type OutboxRow } from './event-facts.ts'
import { createTransport, type SendResult, type Transport } from './transports.ts'

/** Delivery timing; the defaults are the contract, tests shorten them. */
export interface DispatchPolicy {
  /** Tries per claim (default 5). */
  tries: number
  /** Backoff before try n+1 is `backoffMs × 2^(n-1)` (default 300). */
  backoffMs: number
  /** After a claim's tries fail: wait `retryDelayMs × 2^(failed claims − 1)` … */
  retryDelayMs: number
  /** … at most this long (default 10 minutes). */
  maxRetryDelayMs: number
  /** A claim is this dispatcher's for this long; a dispatcher that died loses it then (default 2 min). */
  leaseMs: number
  /** Rows claimed at once (default 50). */
  batchSize: number
  /** How often a running dispatcher looks for new rows (default 1 s). */
  pollMs: number
  /** Sent rows are kept this long (default 7 days). */
  retentionMs: number
  /** Rows deleted per statement when purging (default 1,000). */
  purgeBatch: number
  /** The http transport's request timeout (default 5 s). */
  timeoutMs: number
}

export const DEFAULT_POLICY: DispatchPolicy = {
  tries: 5,
  backoffMs: 300,
  retryDelayMs: 5_000,
  maxRetryDelayMs: 600_000,
  leaseMs: 120_000,
  batchSize: 50,
  pollMs: 1_000,
  retentionMs: 7 * 24 * 3600 * 1000,
  purgeBatch: 1_000,
  timeoutMs: 5_000,
}

/** What one pass did. */
export interface DispatchCounts {
  sent: number
  rejected: number
  /** Claims whose tries all failed; the rows stay pending. */
  failed: number
}

const MAX_RESPONSE = 2_000

/** One dispatcher over one store. Several, in any processes, may run on one database. */
export class Dispatcher {
  readonly #ctx: StoreContext
  readonly #transport: Transport
  readonly #policy: DispatchPolicy
  readonly #owner = randomBytes(8).toString('hex')
  #loop: Promise<void> | undefined
  #stop = new AbortController()
  #lastPurge = 0
  /**
   * Claim one row to probe the receiver, not a whole batch: at first (a dispatcher that starts while
   * the receiver is down leases and releases nothing more) and after a pass that could not send.
   */
  #probing = true

  constructor(ctx: StoreContext, config: LineageConfig, policy: Partial<DispatchPolicy> = {}) {
    this.#ctx = ctx
    this.#policy = { ...DEFAULT_POLICY, ...policy }
    this.#transport = createTransport(config.transport, this.#policy.timeoutMs)
  }

  /**
   * Sends what is due, batch after batch, until nothing due is left or a claim fails (the receiver
   * is down: trying every other run now would only wait out the same timeouts). With `all`, rows
   * waiting out a retry delay count as due (what `processtracker lineage flush` does).
   */
  async flush(options: { all?: boolean } = {}): Promise<DispatchCounts> {
    const total: DispatchCounts = { sent: 0, rejected: 0, failed: 0 }
    const tried = new Set<number>()
    for (;;) {
      const rows = (await this.#claim(options.all === true)).filter((row) => !tried.has(row.outboxId))
      if (rows.length === 0) break
      const counts = await this.#sendClaimed(rows)
      for (const row of rows) tried.add(row.outboxId)
      total.sent += counts.sent
      total.rejected += counts.rejected
      total.failed += counts.failed
      if (counts.failed > 0 || this.#stop.signal.aborted) break
    }
    await this.purge()
    return total
  }

  /**
   * Runs in the background until {@link stop}: a pass every `pollMs` while sending works. Errors are
   * logged, never thrown. While the receiver is down (a pass whose claim failed, or a pass that
   * threw) the loop waits `retryDelayMs × 2^(failed passes − 1)`, capped at `maxRetryDelayMs`, with
   * jitter, and claims a single row until one is sent: a dead receiver then costs the writers of
   * this process and database almost nothing, instead of a claim, an event build and five
   * connection attempts every few seconds.
   */
  start(): void {
    if (this.#loop) return
    this.#stop = new AbortController()
    const signal = this.#stop.signal
    this.#loop = (async () => {
      let failedPasses = 0
      while (!signal.aborted) {
        try {
          const counts = await this.flush()
          failedPasses = counts.failed > 0 ? failedPasses + 1 : 0
        } catch (error) {
          failedPasses++
          this.#ctx.logger.warn({ err: error }, 'lineage: dispatching failed; trying again')
        }
        this.#probing = failedPasses > 0
        await sleep(this.#idleDelay(failedPasses), undefined, { signal, ref: false }).catch(() => undefined)
      }
    })()
  }

  /** How long the background loop waits after `failedPasses` failed passes in a row. */
  #idleDelay(failedPasses: number): number {
    const { pollMs, retryDelayMs, maxRetryDelayMs } = this.#policy
    if (failedPasses === 0) return pollMs
    const delay = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.min(30, failedPasses - 1))
    // Half fixed, half random: dispatchers that lost the receiver together do not return together.
    return Math.max(pollMs, delay / 2 + Math.random() * (delay / 2))
  }

  /** Stops the background loop after the send in progress (its rows are released or kept due). */
  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#loop
    this.#loop = undefined
  }

  /**
   * Deletes sent rows older than the retention, at most `purgeBatch` per statement; once a minute at
   * most. Walks the oldest sent rows by id (the status index every claim uses), not by sent time:
   * rows are sent about in id order, so the walk stops at the first batch with nothing old enough,
   * and the outbox needs no index of its own on `sent_date_time` (one index fewer for every event
   * written). A row sent long after it was written is passed over, not waited for.
   */
  async purge(force = false): Promise<number> {
    if (!force && Date.now() - this.#lastPurge < 60_000) return 0
    this.#lastPurge = Date.now()
    const { db } = this.#ctx
    const before = Date.now() - this.#policy.retentionMs
    let deleted = 0
    let after = 0
    for (;;) {
      const rows = await db
        .selectFrom('lineage_outbox')
        .select(['outbox_id', 'sent_date_time'])
        .where('outbox_status', '=', 'sent')
        .where('outbox_id', '>', after)
        .orderBy('outbox_id')
        .limit(this.#policy.purgeBatch)
        .execute()
      const old = rows.filter((row) => (toDate(row.sent_date_time)?.getTime() ?? Infinity) < before).map((row) => Number(row.outbox_id))
      if (old.length === 0) return deleted
      const result = await db.deleteFrom('lineage_outbox').where('outbox_id', 'in', old).executeTakeFirst()
      deleted += Number(result.numDeletedRows)
      after = Number(rows.at(-1)?.outbox_id ?? after)
    }
  }

  async #claim(all: boolean): Promise<OutboxRow[]> {
    const ctx = this.#ctx
    const now = new Date()
    return transaction(ctx, async (tx) => {
      let query = tx.db
        .selectFrom('lineage_outbox as o')
        .select('o.outbox_id')
        .where('o.outbox_status', '=', 'pending')
        .where((eb) => eb.or([eb('o.lease_until_date_time', 'is', null), eb('o.lease_until_date_time', '<', now)]))
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('lineage_outbox as p')
                .select('p.outbox_id')
                .whereRef('p.process_tracking_id', '=', 'o.process_tracking_id')
                .where('p.outbox_status', '=', 'pending')
                .whereRef('p.outbox_id', '<', 'o.outbox_id'),
            ),
          ),
        )
      if (!all) query = query.where((eb) => eb.or([eb('o.next_attempt_date_time', 'is', null), eb('o.next_attempt_date_time', '<=', now)]))
      const limit = this.#probing ? 1 : this.#policy.batchSize
      const claimed = await ctx.adapter.forUpdateSkipLocked(query.orderBy('o.outbox_id').limit(limit)).execute()
      if (claimed.length === 0) return []
      const ids = claimed.map((row) => Number(row.outbox_id))
      await tx.db
        .updateTable('lineage_outbox')
        .set({ lease_owner: this.#owner, lease_until_date_time: new Date(now.getTime() + this.#policy.leaseMs) })
        .where('outbox_id', 'in', ids)
        .execute()
      const rows = await tx.db.selectFrom('lineage_outbox').selectAll().where('outbox_id', 'in', ids).orderBy('outbox_id').execute()
      return rows.map(toOutboxRow)
    })
  }

  async #sendClaimed(rows: OutboxRow[]): Promise<DispatchCounts> {
    const counts: DispatchCounts = { sent: 0, rejected: 0, failed: 0 }
    for (const [i, row] of rows.entries()) {
      if (this.#stop.signal.aborted && this.#loop) {
        await this.#release(rows.slice(i))
        break
      }
      // A claim covers a whole batch; each row's lease is renewed just before it is sent, and a row
      // whose lease ran out meanwhile and was taken by another dispatcher is left to that one.
      if (!(await this.#renew(row))) continue
      const payload = row.payload ?? JSON.stringify(buildRunEvent(await readEventFacts(this.#ctx, this.#ctx.db, row)))
      const result = await this.#sendWithTries(payload)
      await this.#settle(row, payload, result)
      if (result.outcome !== 'retry') this.#probing = false // the receiver answers again
      if (result.outcome === 'sent') counts.sent++
      else if (result.outcome === 'rejected') counts.rejected++
      else {
        counts.failed++
        // The receiver is down: give the rest back at once, for whichever dispatcher comes next.
        await this.#release(rows.slice(i + 1))
        break
      }
    }
    return counts
  }

  async #sendWithTries(payload: string): Promise<SendResult> {
    let result: SendResult = { outcome: 'retry', detail: 'not sent' }
    for (let attempt = 1; attempt <= this.#policy.tries; attempt++) {
      result = await this.#transport.send(payload)
      if (result.outcome !== 'retry' || attempt === this.#policy.tries) return result
      await sleep(this.#policy.backoffMs * 2 ** (attempt - 1))
    }
    return result
  }

  async #settle(row: OutboxRow, payload: string, result: SendResult): Promise<void> {
    const { db, logger } = this.#ctx
    const now = new Date()
    const base = { payload, lease_owner: null, lease_until_date_time: null, attempt_count: row.attemptCount + 1 }
    if (result.outcome === 'sent') {
      await db
        .updateTable('lineage_outbox')
        .set({ ...base, outbox_status: 'sent', sent_date_time: now, response: null })
        .where('outbox_id', '=', row.outboxId)
        .execute()
      return
    }
    const response = result.detail.slice(0, MAX_RESPONSE)
    if (result.outcome === 'rejected') {
      logger.error(
        { outboxId: row.outboxId, eventType: row.eventType, response },
        'lineage: the receiver rejected an event; it is kept as rejected and not sent again',
      )
      await db
        .updateTable('lineage_outbox')
        .set({ ...base, outbox_status: 'rejected', response })
        .where('outbox_id', '=', row.outboxId)
        .execute()
      return
    }
    const delay = Math.min(this.#policy.maxRetryDelayMs, this.#policy.retryDelayMs * 2 ** Math.min(30, row.attemptCount))
    logger.warn({ outboxId: row.outboxId, response, retryInMs: delay }, 'lineage: could not deliver an event; it stays pending')
    await db
      .updateTable('lineage_outbox')
      .set({ ...base, response, next_attempt_date_time: new Date(now.getTime() + delay) })
      .where('outbox_id', '=', row.outboxId)
      .execute()
  }

  async #renew(row: OutboxRow): Promise<boolean> {
    const now = new Date()
    const result = await this.#ctx.db
      .updateTable('lineage_outbox')
      .set({ lease_until_date_time: new Date(now.getTime() + this.#policy.leaseMs) })
      .where('outbox_id', '=', row.outboxId)
      .where('lease_owner', '=', this.#owner)
      .where('outbox_status', '=', 'pending')
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }

  async #release(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return
    await this.#ctx.db
      .updateTable('lineage_outbox')
      .set({ lease_owner: null, lease_until_date_time: null })
      .where('lease_owner', '=', this.#owner)
      .where(
        'outbox_id',
        'in',
        rows.map((row) => row.outboxId),
      )
      .execute()
  }
}

/** Outbox figures for `processtracker lineage status`. */
export interface OutboxStatus {
  pending: number
  sent: number
  rejected: number
  /** When the oldest pending event happened, or null. */
  oldestPendingEventTime: Date | null
  /** Its age in seconds (by this machine's clock), or null. */
  oldestPendingAgeSeconds: number | null
}

export async function outboxStatus(ctx: StoreContext): Promise<OutboxStatus> {
  const rows = await ctx.db
    .selectFrom('lineage_outbox')
    .select(['outbox_status', sql<number | string>`count(*)`.as('n'), sql<Date | string | null>`min(event_time)`.as('oldest')])
    .groupBy('outbox_status')
    .execute()
  const count = (status: string) => Number(rows.find((row) => row.outbox_status === status)?.n ?? 0)
  const oldestRaw = rows.find((row) => row.outbox_status === 'pending')?.oldest ?? null
  const oldest = toDate(oldestRaw)
  return {
    pending: count('pending'),
    sent: count('sent'),
    rejected: count('rejected'),
    oldestPendingEventTime: oldest,
    oldestPendingAgeSeconds: oldest === null ? null : Math.max(0, Math.round((Date.now() - oldest.getTime()) / 1000)),
  }
}
