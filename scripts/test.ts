// `npm test`: the commands of `npm run build`, `lint`, `typecheck` and `check:package` (read from
// package.json, so there is one list), run side by side on the machine's cores, then vitest.
// Each command is a single-threaded Node program, so one after the other they left a core idle.
// The library is type-checked once: the build emits with --noCheck (declaration errors are still
// reported), and `tsc --noEmit` checks src together with the tests. Each step's output is printed in
// one piece when it ends; vitest runs only when every step passed, as the old `&&` chain did.
// Run: npm test (extra arguments go to vitest, e.g. `npm test -- test/cli`).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const scripts = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> })
  .scripts

/** The commands of an npm script: `a && b` is two commands, run in order. */
function commandsOf(name: string): string[] {
  const script = scripts[name]
  if (script === undefined) throw new Error(`package.json has no "${name}" script`)
  return script.split(' && ').map((command) => command.trim())
}

interface Step {
  name: string
  commands: string[]
  /** Steps that must have passed first. */
  after: string[]
}

// The build's own commands stay in order (the dashboard and tsc write into the emptied dist/); its
// type check is `tsc --noEmit`'s, which covers the same sources with the same options.
const build = commandsOf('build').map((command) => (command.startsWith('tsc -p tsconfig.build.json') ? `${command} --noCheck` : command))
if (!build.some((command) => command.endsWith('--noCheck'))) throw new Error('the build script has no `tsc -p tsconfig.build.json`')
// Type-aware steps wait for the build: bench/ imports the built package (dist/*.d.ts). Prettier does
// not, so it fills the other core meanwhile; then eslint, the longest step, starts first.
const checks = [...commandsOf('lint'), ...commandsOf('typecheck')].map((command): Step => ({
  name: command,
  commands: [command],
  after: command.startsWith('prettier ') ? [] : ['build'],
}))
const rank = (step: Step): number => (step.after.length === 0 ? 0 : step.name.startsWith('eslint ') ? 1 : 2)
const steps: Step[] = [
  { name: 'build', commands: build, after: [] },
  ...checks.sort((a, b) => rank(a) - rank(b)),
  ...commandsOf('check:package').map((command): Step => ({ name: command, commands: [command], after: ['build'] })),
]

interface Outcome {
  ok: boolean
  output: string
  seconds: number
}

/** Runs a command through the shell (as npm would), keeping its output. */
function run(command: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, { cwd: ROOT, shell: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '1' } })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', (error) => {
      resolve({ ok: false, output: `${output}${String(error)}\n` })
    })
    child.on('close', (code) => {
      resolve({ ok: code === 0, output })
    })
  })
}

async function runStep(step: Step): Promise<Outcome> {
  const started = performance.now()
  let output = ''
  for (const command of step.commands) {
    output += `$ ${command}\n`
    const result = await run(command)
    output += result.output
    if (!result.ok) return { ok: false, output, seconds: (performance.now() - started) / 1000 }
  }
  return { ok: true, output, seconds: (performance.now() - started) / 1000 }
}

/** Runs the steps, at most `lanes` at once, each once its `after` steps passed; a step whose prerequisite failed is skipped. */
async function runAll(lanes: number): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>()
  const waiting = [...steps]
  const running = new Map<string, Promise<void>>()
  while (waiting.length > 0 || running.size > 0) {
    for (let index = 0; index < waiting.length && running.size < lanes;) {
      const step = waiting[index] as Step
      const failed = step.after.find((name) => outcomes.has(name) && !outcomes.get(name)?.ok)
      if (failed !== undefined) {
        outcomes.set(step.name, { ok: false, output: `skipped: ${failed} failed\n`, seconds: 0 })
        waiting.splice(index, 1)
      } else if (step.after.every((name) => outcomes.has(name))) {
        waiting.splice(index, 1)
        running.set(
          step.name,
          runStep(step).then((outcome) => {
            outcomes.set(step.name, outcome)
            running.delete(step.name)
            process.stdout.write(`\n${outcome.ok ? '✓' : '✗'} ${step.name} (${outcome.seconds.toFixed(1)} s)\n${outcome.output}`)
          }),
        )
      } else {
        index += 1
      }
    }
    if (running.size > 0) await Promise.race(running.values())
  }
  return outcomes
}

const started = performance.now()
const outcomes = await runAll(Math.max(1, availableParallelism()))
const failed = [...outcomes].filter(([, outcome]) => !outcome.ok).map(([name]) => name)
console.log(`\nchecks: ${((performance.now() - started) / 1000).toFixed(1)} s${failed.length > 0 ? `, failed: ${failed.join('; ')}` : ''}`)
if (failed.length > 0) {
  process.exitCode = 1
} else {
  const vitest = spawn('vitest', ['run', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit', shell: false })
  vitest.on('close', (code, signal) => {
    process.exitCode = code ?? (signal === null ? 1 : 128)
  })
}
