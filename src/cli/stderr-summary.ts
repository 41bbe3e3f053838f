/**
 * The description `run` records for a failed command: what happened, then the last whole stderr lines
 * that fit in the 750-character error description, starting at a line boundary, with "… N earlier
 * lines cut" in front when lines were left out — so the stored error reads like the end of a log.
 */
import { codePoints, keepEnd, truncate } from './text.ts'

/** The error description limit of `raiseRunError`. */
export const MAX_DESCRIPTION = 750

/**
 * `summary`, then as many of the last stderr lines as fit. `tail` holds the last lines kept, `total`
 * how many stderr lines there were in all (so lines already dropped from the tail are counted too).
 */
export function describeFailure(summary: string, tail: readonly string[], total: number): string {
  const lines = [...tail]
  let blank = 0
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') {
    lines.pop()
    blank += 1
  }
  const shownSummary = truncate(summary, MAX_DESCRIPTION)
  if (lines.length === 0) return shownSummary
  const written = total - blank
  const cutNote = (cut: number) => `… ${cut} earlier line${cut === 1 ? '' : 's'} cut`
  // Take lines from the end while the whole text (with its "cut" note) still fits.
  let kept: string[] = []
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const candidate = [lines[index] ?? '', ...kept]
    const cut = written - candidate.length
    const text = [shownSummary, ...(cut > 0 ? [cutNote(cut)] : []), ...candidate].join('\n')
    if (codePoints(text).length > MAX_DESCRIPTION) break
    kept = candidate
  }
  if (kept.length === 0) {
    // Even the last line alone is too long: keep its end, marked with "…".
    const last = lines[lines.length - 1] ?? ''
    const cut = written - 1
    const head = [shownSummary, ...(cut > 0 ? [cutNote(cut)] : [])].join('\n')
    const room = MAX_DESCRIPTION - codePoints(head).length - 1
    return room > 1 ? `${head}\n${keepEnd(last, room)}` : truncate(head, MAX_DESCRIPTION)
  }
  const cut = written - kept.length
  return [shownSummary, ...(cut > 0 ? [cutNote(cut)] : []), ...kept].join('\n')
}
