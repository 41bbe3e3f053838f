/**
 * Runs the BUILT `processtracker` command (bin/processtracker.js → dist/cli/main.js) as a user would:
 * a subprocess with a clean environment (PATH and an empty HOME only, so no PROCESS_TRACKER_* variable
 * or home config of the machine leaks in). `npm test` builds first; a stale dist/ fails the test
 * (support/build.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { requireBuild } from '../support/build.ts'
import type { IsolatedDatabase } from '../support/dialects.ts'

export { requireBuild }

/** The command's entry point, as npm links it. */
export const BIN = fileURLToPath(new URL('../../bin/processtracker.js', import.meta.url))

/** What a finished command left behind. */
export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A temp folder to use as HOME; removed by `dispose`. */
export function tempHome(): { path: string; dispose: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'pt-cli-home-'))
  return {
    path,
    dispose: () => {
      rmSync(path, { recursive: true, force: true })
    },
  }
}

/** PATH and HOME, nothing else: no PROCESS_TRACKER_* variables, no colours forced. */
export function cleanEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, ...extra }
}

/** The global options that point the command at an isolated test database. */
export function storeArgs(database: IsolatedDatabase): string[] {
  return ['--url', database.options.url, ...(database.options.schema === undefined ? [] : ['--schema', database.options.schema])]
}

/** Starts the command; the caller waits with {@link finished}. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv): { child: ChildProcess; result: Promise<CliResult> } {
  requireBuild()
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr })
    })
  })
  return { child, result }
}

/** Runs the command to its end. */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, env).result
}

/** Waits until a file exists (a child's "I am running" marker); gives up after many polls. */
export async function waitForFile(path: string, polls = 600): Promise<string> {
  for (let poll = 0; poll < polls; poll += 1) {
    // Every marker is written non-empty: an empty file is one caught between writeFileSync's create
    // and its write (read then, a tracking id would be '' and the test would lock row 0).
    const text = existsSync(path) ? readFileSync(path, 'utf8') : ''
    if (text !== '') return text
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${path} never appeared`)
}

/** A node one-liner as a command for `run -- …` (the test's own node, whatever PATH holds). */
export function nodeCommand(script: string): string[] {
  return [process.execPath, '-e', script]
}

/** The stderr lines that look like a stack trace. */
export function stackLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^\s+at\s/.test(line))
}
