/**
 * Hand-drawn SVG charts (no chart library: the whole dashboard must stay under 150 KB gzip).
 * Every mark is also said in words: bars and squares are links with labels, and the focused or
 * hovered run is described in text under the chart.
 */
import { useState } from 'preact/hooks'
import { count, humanDuration, localTime, runDuration, STATE_ICONS, statusTone } from './format.ts'
import { runHref } from './router.ts'
import type { Run } from './types.ts'

function describe(run: Run): string {
  return `Run #${run.processRunId}: ${run.status}${run.stale ? ' (stale)' : ''}, ${humanDuration(runDuration(run))}, ${count(run.recordCount)} records, started ${localTime(run.startDateTime)}`
}

/** One bar per run, newest right, height = duration, colour and label = status. */
export function RunHistoryChart({ runs }: { runs: Run[] }) {
  const [focused, setFocused] = useState<Run | null>(null)
  if (runs.length === 0) return <p class="muted">No runs yet.</p>
  const ordered = [...runs].reverse()
  const now = Date.now()
  const width = 800
  const height = 120
  const slot = width / Math.max(ordered.length, 30)
  const longest = Math.max(...ordered.map((run) => runDuration(run, now)), 1)
  // Newest right: with fewer runs than slots, the bars end at the right edge.
  const offset = width - ordered.length * slot
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${width} ${height + 4}`}
        class="bars"
        role="group"
        aria-label={`Run history: the last ${ordered.length} runs, newest right; bar height is the duration (longest ${humanDuration(longest)})`}
      >
        {ordered.map((run, index) => {
          const barHeight = Math.max(3, (runDuration(run, now) / longest) * height)
          return (
            <a
              key={run.processTrackingId}
              href={runHref(run.processTrackingId)}
              aria-label={describe(run)}
              onMouseEnter={() => {
                setFocused(run)
              }}
              onFocus={() => {
                setFocused(run)
              }}
            >
              <title>{describe(run)}</title>
              <rect
                class={`bar tone-${statusTone(run.status)}${run.stale ? ' stale' : ''}`}
                x={offset + index * slot + 1}
                y={height - barHeight + 2}
                width={Math.max(slot - 2, 1)}
                height={barHeight}
              />
            </a>
          )
        })}
      </svg>
      <p class="chart-scale" aria-hidden="true">
        <span>longest {humanDuration(longest)}</span>
        <span>newest →</span>
      </p>
      <figcaption aria-live="polite">
        {focused ? describe(focused) : 'Hover or focus a bar to see its run; select it to open the run.'}
      </figcaption>
    </figure>
  )
}

/** Records per run as a small line chart, oldest left. */
export function RecordCountChart({ runs }: { runs: Run[] }) {
  if (runs.length === 0) return null
  const ordered = [...runs].reverse()
  const width = 800
  const height = 90
  const most = Math.max(...ordered.map((run) => run.recordCount), 1)
  const step = ordered.length > 1 ? width / (ordered.length - 1) : 0
  const points = ordered
    .map((run, index) => `${(index * step).toFixed(1)},${(height - (run.recordCount / most) * (height - 6) - 3).toFixed(1)}`)
    .join(' ')
  const latest = ordered[ordered.length - 1]
  const least = Math.min(...ordered.map((run) => run.recordCount))
  const summary = `Records per run over the last ${ordered.length} runs: from ${count(least)} to ${count(most)}, latest ${count(latest?.recordCount)}`
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} class="line" role="img" aria-label={summary}>
        <line x1="0" y1={height - 1} x2={width} y2={height - 1} class="axis" />
        <polyline points={points} class="records" />
      </svg>
      <figcaption>{summary}</figcaption>
    </figure>
  )
}

/**
 * The last 20 runs as squares (oldest left, Airflow-grid style) and the failure streak measured
 * against `max_concurrent_failures`: at that many failures in a row the process goes on hold.
 */
export function StreakStrip({ runs, streak, max }: { runs: Run[]; streak: number; max: number }) {
  const last = [...runs.slice(0, 20)].reverse()
  return (
    <div class="streak">
      <ol class="squares" aria-label="The last 20 runs, oldest first">
        {last.map((run) => {
          const tone = statusTone(run.status)
          return (
            <li key={run.processTrackingId}>
              <a href={runHref(run.processTrackingId)} class={`square tone-${tone}`} aria-label={describe(run)} title={describe(run)}>
                <span aria-hidden="true">{STATE_ICONS[tone]}</span>
              </a>
            </li>
          )
        })}
      </ol>
      <p>
        Failure streak: <strong>{streak}</strong>
        {max > 0 ? (
          <>
            {' '}
            of {max} (max_concurrent_failures){' '}
            <span class="pips" aria-hidden="true">
              {Array.from({ length: max }, (_, index) => (
                <span key={index} class={index < streak ? 'pip filled' : 'pip'} />
              ))}
            </span>
            {streak >= max ? ' — the threshold is reached: the next start is held.' : ` — ${max - streak} more in a row put it on hold.`}
          </>
        ) : (
          ' (max_concurrent_failures is 0: no hold)'
        )}
      </p>
    </div>
  )
}
