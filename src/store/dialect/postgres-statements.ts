import type pg from 'pg'

const MAX_NAMED_PER_CONNECTION = 200
const NAMEABLE = /^\s*(select|insert|update|delete|with)\b/i

/**
 * Makes each connection prepare the statements it runs once, by name, and reuse them. Kysely sends
 * every query unnamed, so PostgreSQL parsed and planned each one again: naming them halved the
 * server's CPU per lifecycle in `npm run bench`. Only parameterised DML is named, and at most
 * {@link MAX_NAMED_PER_CONNECTION} texts per connection (texts with IN lists of varying length
 * would otherwise grow the server's per-session cache without bound).
 */
export function nameStatements(client: pg.PoolClient): void {
  const names = new Map<string, string>()
  const query = client.query.bind(client) as (config: unknown, values?: unknown) => Promise<unknown>
  const named = (text: unknown, values: unknown): unknown => {
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return undefined
    // A text seen before is looked up first: the regex runs once per new text, not once per call.
    let name = names.get(text)
    if (name === undefined) {
      if (names.size >= MAX_NAMED_PER_CONNECTION || !NAMEABLE.test(text)) return undefined
      name = `pt_${names.size.toString(36)}`
      names.set(text, name)
    }
    return { name, text, values }
  }
  ;(client as unknown as { query: (text: unknown, values?: unknown) => Promise<unknown> }).query = (text, values) => {
    const config = named(text, values)
    return config === undefined ? query(text, values) : query(config)
  }
}
