/** Times in the browser's time zone, durations in words a person reads at a glance. */
import type { ProcessState } from './types.ts'

const pad = (value: number): string => String(value).padStart(2, '0')

/** `2026-12-01 22:14:03` in the browser's time zone. */
export function localTime(iso: string): string {
  const date = new Date(iso)
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/** `UTC+01:00` for the browser's offset at that instant (summer time included). */
export function utcOffset(iso: string): string {
  const minutes = -new Date(iso).getTimezoneOffset()
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** `3m 12s`, `2h 5m`, `4d 1h`, `<1s`: the two largest units. */
export function humanDuration(milliseconds: number): string {
  if (!Number.isFinite(milliseconds) || milliseconds < 0) return '—'
  const seconds = Math.floor(milliseconds / 1000)
  if (seconds < 1) return '<1s'
  const units: [string, number][] = [
    ['d', Math.floor(seconds / 86_400)],
    ['h', Math.floor(seconds / 3600) % 24],
    ['m', Math.floor(seconds / 60) % 60],
    ['s', seconds % 60],
  ]
  const first = units.findIndex(([, value]) => value > 0)
  return units
    .slice(first, first + 2)
    .filter(([, value]) => value > 0)
    .map(([unit, value]) => `${value}${unit}`)
    .join(' ')
}

/** A run's duration so far (running runs count up to now). */
export function runDuration(run: { startDateTime: string; endDateTime: string | null }, now = Date.now()): number {
  const end = run.endDateTime ? Date.parse(run.endDateTime) : now
  return Math.max(0, end - Date.parse(run.startDateTime))
}

/** `1,234,567`. */
export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('en-US')
}

/** Words for a state, as shown next to its icon. */
export const STATE_LABELS: Readonly<Record<ProcessState, string>> = {
  'on-hold': 'on hold',
  failed: 'failed',
  running: 'running',
  released: 'released',
  completed: 'completed',
  'never-run': 'never run',
}

/** Overview order: what needs a person first. */
export const STATE_ORDER: readonly ProcessState[] = ['on-hold', 'failed', 'running', 'released', 'completed', 'never-run']

/** A run status's category (api.md seeds); a custom status is active, as in the library. */
export type StatusCategory = 'active' | 'succeeded' | 'failed' | 'held' | 'released'

const CATEGORIES: Readonly<Record<string, StatusCategory>> = {
  running: 'active',
  completed: 'succeeded',
  failed: 'failed',
  'on hold': 'held',
  released: 'released',
}

/** The category of a run status name. */
export function statusCategory(status: string): StatusCategory {
  return CATEGORIES[status] ?? 'active'
}

/** The state colour class a run status shares with process states. */
export function statusTone(status: string): ProcessState {
  const tones: Record<StatusCategory, ProcessState> = {
    active: 'running',
    succeeded: 'completed',
    failed: 'failed',
    held: 'on-hold',
    released: 'released',
  }
  return tones[statusCategory(status)]
}

/** Text icons (no icon font): shape and text carry the state, never colour alone. */
export const STATE_ICONS: Readonly<Record<ProcessState, string>> = {
  'on-hold': '‖',
  failed: '✕',
  running: '▶',
  released: '↺',
  completed: '✓',
  'never-run': '○',
}

/** A file size as the API gives it (`{ amount, unit }`). */
export function fileSize(size: { amount: number; unit: string } | null): string {
  return size ? `${size.amount.toLocaleString('en-US')} ${size.unit}` : '—'
}

/**
 * The failure streak read from a run history (newest first): failed runs in a row, not counting
 * the `on hold` runs a hold records on top of them, a stale run counting as failed (as `start` does).
 */
export function streakOf(runs: readonly { status: string; stale: boolean }[]): number {
  let streak = 0
  for (const run of runs) {
    const category = statusCategory(run.status)
    if (category === 'held') continue
    if (category === 'failed' || (category === 'active' && run.stale)) streak += 1
    else break
  }
  return streak
}
