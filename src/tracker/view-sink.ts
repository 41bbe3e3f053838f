/**
 * A run write that answers with the run's view. The HTTP API answers every run write with the run
 * as the database has it afterwards; on PostgreSQL the write's own statement can return that view
 * (its data-modifying CTE RETURNs the row it wrote), which saves the API a round trip per request.
 * A caller that wants the view passes a sink under {@link VIEW_SINK} in the write's options object;
 * a write that could read the view leaves it there, and a caller finding the sink empty reads the
 * view itself. Internal: not exported by the package.
 */
import type { RunView } from './run-views.ts'

export const VIEW_SINK: unique symbol = Symbol('processtracker.viewSink')

/** Filled by a write whose statement returned the run's view. */
export interface ViewSink {
  view?: RunView
}

/** The sink a write's options carry, if any. */
export function viewSinkOf(options: object): ViewSink | undefined {
  return (options as { [VIEW_SINK]?: ViewSink })[VIEW_SINK]
}

/** `options` with `sink` under {@link VIEW_SINK}: what a caller passes to the write. */
export function withViewSink<T extends object>(options: T, sink: ViewSink): T {
  return { ...options, [VIEW_SINK]: sink }
}
