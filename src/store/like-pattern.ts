import { sql, type RawBuilder } from 'kysely'

/**
 * The escape character of every LIKE processtracker writes. Not the backslash: MySQL also treats a
 * backslash as an escape inside string literals, and SQLite has no default escape at all, so the
 * clause is always spelled out (`ESCAPE '!'`) and means the same on every database.
 */
export const LIKE_ESCAPE = '!'

/** `text` with `%`, `_` and the escape character escaped, so that LIKE matches it literally. */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (char) => `${LIKE_ESCAPE}${char}`)
}

/** `column LIKE pattern ESCAPE '!'`; build `pattern` with {@link escapeLike}. */
export function likeEscaped(column: string, pattern: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} like ${pattern} escape '!'`
}

/**
 * Case-sensitive, literal "`column` contains `needle`" on every database. LIKE with the wildcards
 * escaped finds the candidates; SQLite's LIKE ignores ASCII case, so a second test keeps only exact
 * matches: removing every occurrence of a non-empty needle shortens the text only if it occurs, and
 * replace() is case-sensitive on PostgreSQL, MySQL and SQLite alike. (Length in bytes on MySQL, in
 * characters elsewhere: either way it shrinks exactly when the needle occurs.)
 */
export function containsLiteral(column: string, needle: string): RawBuilder<boolean> {
  const ref = sql.ref(column)
  return sql<boolean>`(${ref} like ${`%${escapeLike(needle)}%`} escape '!' and length(replace(${ref}, ${needle}, '')) < length(${ref}))`
}
