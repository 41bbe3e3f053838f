/**
 * What the public classes share and do not publish: the lineage field of the store's context and
 * the wrapping of extract records read or written by the extract layer.
 */
import type { LineageRuntime } from '../lineage/runtime.ts'

declare module '../store/context.ts' {
  interface StoreContext {
    /** OpenLineage settings when lineage is on (src/lineage); absent when off. Set by `DataStore.open`. */
    readonly lineage?: LineageRuntime
  }
}
