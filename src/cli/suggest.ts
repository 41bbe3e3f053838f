/**
 * "Did you mean …?" for names a user typed: the closest existing names by edit distance, so a typo in
 * `--status Failed` or `--error "Data Eror: …"` points at the right word instead of a bare "not found".
 */
import { codePoints } from './text.ts'

/** Most suggestions shown. */
const MAX_SUGGESTIONS = 3

/** Levenshtein distance with adjacent transpositions (optimal string alignment), over code points. */
export function editDistance(a: string, b: string): number {
  const x = codePoints(a)
  const y = codePoints(b)
  // Three rows are enough for transpositions: the one before last, the last, the current.
  let before: number[] = []
  let last = Array.from({ length: y.length + 1 }, (_, j) => j)
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i]
    for (let j = 1; j <= y.length; j += 1) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1
      let best = Math.min((last[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (last[j - 1] ?? 0) + cost)
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, (before[j - 2] ?? 0) + 1)
      current.push(best)
    }
    before = last
    last = current
  }
  return last[y.length] ?? 0
}

/**
 * The candidates closest to `name`, best first (at most three). A candidate that differs only in case
 * always qualifies; otherwise the distance, compared case-insensitively, must be at most a third of
 * the name's length (at least 2), so "Failed" finds "failed" and "bogus" finds nothing.
 */
export function suggest(name: string, candidates: readonly string[]): string[] {
  const wanted = name.toLowerCase()
  const limit = Math.max(2, Math.floor(codePoints(name).length / 3))
  return candidates
    .filter((candidate) => candidate !== name)
    .map((candidate) => {
      const lower = candidate.toLowerCase()
      const distance = lower === wanted ? 0 : editDistance(wanted, lower)
      // A name the user typed a part of ("Teams" for "Teams Load") is close enough too.
      const contains = wanted.length >= 3 && lower.includes(wanted)
      return { candidate, distance: contains ? Math.min(distance, limit) : distance }
    })
    .filter(({ distance }) => distance <= limit)
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, MAX_SUGGESTIONS)
    .map(({ candidate }) => candidate)
}

/** `did you mean 'Data Error'?`, `did you mean 'a' or 'b'?`, or '' when there is nothing close. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const close = suggest(name, candidates).map((candidate) => `'${candidate}'`)
  if (close.length === 0) return ''
  const last = close.pop() ?? ''
  return `did you mean ${close.length === 0 ? last : `${close.join(', ')} or ${last}`}?`
}
