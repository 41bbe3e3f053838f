/**
 * The glue between commander and the command handlers: a handler gets its context and its parsed
 * command, and returns the exit code (or nothing for 0). Errors propagate to `runCli`, which maps them
 * to an exit code in one place.
 */
import type { Command } from 'commander'
import { createContext, type CliContext, type GlobalOptions } from './context.ts'
import { Output, type OutputStreams } from './output.ts'

/** A command's body. `command.opts()` holds its options and `command.processedArgs` its operands. */
export type Handler = (context: CliContext, command: Command) => Promise<number | undefined>

/** What `runCli` shares with the handlers: the streams, and the exit code the handler chose. */
export interface CliState {
  readonly streams: OutputStreams
  exitCode: number
}

/** Turns a handler into a commander action. */
export type Act = (handler: Handler) => (...args: unknown[]) => Promise<void>

/** The output mode the global options ask for. */
export function outputFor(streams: OutputStreams, globals: GlobalOptions): Output {
  return new Output(streams, { json: globals.json === true, quiet: globals.quiet === true, debug: globals.debug === true })
}

/** Builds the `act` wrapper for one invocation. */
export function actFor(state: CliState): Act {
  return (handler) =>
    async (...args: unknown[]) => {
      // Commander passes the command itself last.
      const command = args[args.length - 1] as Command
      const globals = command.optsWithGlobals<GlobalOptions>()
      const context = createContext(globals, outputFor(state.streams, globals), state.streams)
      state.exitCode = (await handler(context, command)) ?? 0
    }
}
