/**
 * Adds "did you mean …?" to an error about an unknown name, while the store that knows the existing
 * names is still open: an unknown status, type, error type, lookup or process (cli.md "Since 0.2").
 */
import { InvalidStatusError, LOOKUP_TOPICS, NotFoundError, type DataStore, type LookupTopic } from '../index.ts'
import { didYouMean, suggest } from './suggest.ts'

/** Most process names read to suggest from: enough for any store a person types names of. */
const PROCESS_CANDIDATES = 1000

/** The suggestions found for an error, for `--json` errors' details. */
const found = new WeakMap<object, string[]>()

/** The suggestions {@link addSuggestion} attached to an error, if any. */
export function suggestionsOf(error: unknown): string[] | undefined {
  return typeof error === 'object' && error !== null ? found.get(error) : undefined
}

/** What was not found, and among which names to look: or null when the error is not about a name. */
async function candidatesFor(store: DataStore, error: unknown): Promise<{ name: string; names: string[] } | null> {
  if (error instanceof NotFoundError) {
    const { topic, name } = error.details
    if (typeof name !== 'string' || typeof topic !== 'string') return null
    if (topic === 'process') return { name, names: (await store.listProcesses({ limit: PROCESS_CANDIDATES })).map((p) => p.processName) }
    // The dependency types a user may give (`Undefined` is internal).
    if (topic === 'dependency type') return { name, names: ['Hard', 'Soft'] }
    const lookup = LOOKUP_TOPICS.find((candidate) => candidate === topic)
    if (lookup !== undefined) return { name, names: await store.lookups.list(lookup) }
    return null
  }
  if (error instanceof InvalidStatusError) {
    const status = error.details.status
    if (typeof status !== 'string') return null
    const topic: LookupTopic = error.message.includes('extract status') ? 'extract status' : 'process status'
    return { name: status, names: await store.lookups.list(topic) }
  }
  return null
}

/**
 * Appends "did you mean 'X'?" to the message of an error about an unknown name, when a close name
 * exists. Never fails: a suggestion is a courtesy, the original error is what matters.
 */
export async function addSuggestion(store: DataStore, error: unknown): Promise<void> {
  try {
    const lookup = await candidatesFor(store, error)
    if (lookup === null || !(error instanceof Error)) return
    const hint = didYouMean(lookup.name, lookup.names)
    if (hint === '') return
    found.set(error, suggest(lookup.name, lookup.names))
    // Lower case, as cli.md quotes it: scripts may grep for "did you mean".
    error.message = `${error.message.replace(/\.?\s*$/, '')}; ${hint}`
  } catch {
    // The store may be what failed; the original error is reported as it is.
  }
}
