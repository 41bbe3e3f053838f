import { DIALECTS, skipReason } from './dialects.ts'

/** Says loudly, before any test runs, which databases this run covers and which it skips and why. */
export default function setup(): void {
  const lines = [`processtracker tests cover: ${DIALECTS.join(', ')}`]
  for (const name of ['postgresql', 'mysql'] as const) {
    const reason = skipReason(name)
    if (reason) lines.push(`!!! SKIPPING every ${name} test: ${reason}`)
  }
  process.stderr.write(`\n${lines.join('\n')}\n\n`)
}
