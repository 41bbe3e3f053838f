import type { StoreContext } from '../store/context.ts'

/** What the extract code needs from a run: its store's context and its id. */
export interface RunRef {
  readonly ctx: StoreContext
  readonly processTrackingId: number
}
