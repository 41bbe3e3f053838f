import type { IniDocument } from '../config/ini.ts'
import type { StoreContext } from '../store/context.ts'
import { resolveLineage, type LineageOptions } from './config.ts'
import { Dispatcher } from './dispatcher.ts'
import { parentFromEnv } from './parent.ts'
import { createLineageRuntime, type LineageRuntime } from './runtime.ts'

/** What `DataStore.open` keeps for lineage: nothing when it is off. */
export function openLineage(
  options: LineageOptions | undefined,
  env: NodeJS.ProcessEnv,
  ini: { doc: IniDocument; location: string } | undefined,
): LineageRuntime | undefined {
  const config = resolveLineage(options, env, ini ?? null)
  return config === null ? undefined : createLineageRuntime(config, parentFromEnv(env))
}

/** Starts an in-process dispatcher when the store was opened with `lineage.dispatch: true`. */
export function startInProcessDispatcher(ctx: StoreContext): Dispatcher | undefined {
  if (!ctx.lineage?.config.dispatch) return undefined
  const dispatcher = new Dispatcher(ctx, ctx.lineage.config)
  dispatcher.start()
  return dispatcher
}
