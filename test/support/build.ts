/**
 * The built package (dist/) that worker-based suites run: subprocess CLI tests, the multi-process race
 * and claim workers, the fault fleet, `serve` children. They import dist/, not src/, so a dist/ older
 * than any source file would test yesterday's code; {@link requireBuild} refuses that.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SRC = join(ROOT, 'src')
const DIST = join(ROOT, 'dist')
/** Built by esbuild (scripts/build-dashboard.ts), not by tsc: checked by its own tests. */
const SEPARATE = new Set([join(SRC, 'dashboard')])

/** Every .ts source tsc compiles (declaration files and the dashboard left out). */
function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name)
    if (entry.isDirectory()) return SEPARATE.has(path) ? [] : sources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/**
 * The sources whose built file is missing or older than the source (at most a few, for the
 * message). Empty when dist/ is up to date.
 */
export function staleBuild(): string[] {
  const stale: string[] = []
  for (const source of sources(SRC)) {
    const built = join(DIST, relative(SRC, source)).replace(/\.ts$/, '.js')
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) stale.push(relative(ROOT, source))
  }
  return stale
}

let checked = false

/**
 * Fails loudly when dist/ is missing or older than any source file it is built from, naming them.
 * Every helper that starts a process on dist/ calls it (once per test file is enough).
 */
export function requireBuild(): void {
  if (checked) return
  const stale = staleBuild()
  if (stale.length > 0) {
    const shown = stale.slice(0, 5).join(', ') + (stale.length > 5 ? ` and ${stale.length - 5} more` : '')
    throw new Error(
      `dist/ is older than its source (${shown}): run \`npm run build\` (or \`npx tsc -p tsconfig.build.json\`) before the worker-based tests.`,
    )
  }
  checked = true
}
