/**
 * Text measured in code points, as the library measures its limits (a 750-character error description
 * is 750 code points), so an accented name or an emoji counts as one character in tables and cuts.
 */

/** The code points of a text. */
export function codePoints(text: string): string[] {
  return Array.from(text)
}

/** The text cut to at most `max` code points. */
export function truncate(text: string, max: number): string {
  const points = codePoints(text)
  return points.length > max ? points.slice(0, max).join('') : text
}

/** The last `max` code points of a text, with "…" in front when something was cut. */
export function keepEnd(text: string, max: number): string {
  const points = codePoints(text)
  return points.length > max ? `…${points.slice(points.length - max + 1).join('')}` : text
}
