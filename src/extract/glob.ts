import { ValidationError } from '../errors.ts'

/**
 * File-name globs for `registerExtractsByLocation`'s `include` / `exclude`: `*` matches any run of
 * characters, `?` one character, `[abc]`, `[a-z]` and `[!a-z]` (or `[^a-z]`) one character of (not
 * of) a set. A glob is matched against the whole file name (no folders are involved), case-sensitively.
 *
 * @example
 * ```ts
 * const keep = fileFilter(['*.csv', '*.csv.gz'], ['*.part', '.*'])
 * keep('Teams.csv') // true
 * keep('Teams.csv.part') // false
 * ```
 */
export function fileFilter(include: readonly string[], exclude: readonly string[]): (filename: string) => boolean {
  const wanted = include.map((glob) => globToRegExp(glob))
  const unwanted = exclude.map((glob) => globToRegExp(glob))
  // Exclude wins over include; no include means every file.
  return (filename) => (wanted.length === 0 || wanted.some((re) => re.test(filename))) && !unwanted.some((re) => re.test(filename))
}

/** Compiles one glob; a malformed one (an unclosed `[`) is a ValidationError. */
export function globToRegExp(glob: string): RegExp {
  const chars = Array.from(glob)
  let source = ''
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? ''
    if (c === '*') source += '[^]*'
    else if (c === '?') source += '[^]'
    else if (c === '[') {
      const close = chars.indexOf(']', i + 2) // a ']' right after '[' (or '[!') is a literal member
      const bang = chars[i + 1] === '!' || chars[i + 1] === '^'
      const end = bang ? chars.indexOf(']', i + 3) : close
      if (end === -1) throw new ValidationError(`The glob ${JSON.stringify(glob)} has a '[' without its ']'.`, { field: 'glob' })
      const members = chars.slice(i + (bang ? 2 : 1), end).map((m) => (m === '-' ? '-' : escapeClass(m)))
      source += `[${bang ? '^' : ''}${members.join('')}]`
      i = end
    } else source += escapeLiteral(c)
  }
  return new RegExp(`^${source}$`, 'u')
}

function escapeLiteral(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c
}

function escapeClass(c: string): string {
  return /[\\\]^[]/.test(c) ? `\\${c}` : c
}
