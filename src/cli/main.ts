/**
 * The `processtracker` command's entry point (bin/processtracker.js imports the built file). It runs
 * the command line and sets the exit code; Node exits once the output is flushed and the store closed.
 */
import { runCli } from './program.ts'

// `processtracker runs | head -1` closes stdout early: stop quietly, as Unix tools do, instead of
// crashing with an EPIPE stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(process.exitCode ?? 0)
})

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  // Lazy: touching process.stdin creates its stream, which a child of `run` must inherit untouched.
  get stdin() {
    return process.stdin
  },
  env: process.env,
})
