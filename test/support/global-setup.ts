import { staleBuild } from './build.ts'
import { DIALECTS, skipReason } from './dialects.ts'

/** Says loudly, before any test runs, which databases this run covers and which it skips and why. */
export default function setup(): void {
  const lines = [`processtracker tests cover: ${DIALECTS.join(', ')}`]
  for (const name of ['postgresql', 'mysql'] as const) {
    const reason = skipReason(name)
    if (reason) lines.push(`!!! SKIPPING every ${name} test: ${reason}`)
  }
  // The in-process suites run src/; the worker-based ones run dist/ and fail on a stale one.
  const stale = staleBuild()
  if (stale.length > 0)
    lines.push(`!!! dist/ is older than ${stale.length} source file(s): worker-based suites will fail until \`npm run build\``)
  process.stderr.write(`\n${lines.join('\n')}\n\n`)
}
