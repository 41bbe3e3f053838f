import { VERSION } from '../version.ts'

/** The repository this package is built from; with the version, the events' `producer`. */
export const REPOSITORY_URL = 'https://github.com/processtracker/processtracker-ts'
/** `producer` of every event and facet: the repository at this version's tag. */
export const PRODUCER = `${REPOSITORY_URL}/tree/v${VERSION}`
export const RUN_EVENT_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent'
/** The custom run facet's schema, shipped in the package at `schemas/ProcessTrackerRunFacet.json`. */
export const PROCESS_TRACKER_RUN_FACET_SCHEMA_URL = `${REPOSITORY_URL}/blob/v${VERSION}/schemas/ProcessTrackerRunFacet.json#/$defs/ProcessTrackerRunFacet`

/** `_schemaURL` of a standard facet, by its file name and version in the OpenLineage spec. */
const facetSchema = (name: string, version: string) => `https://openlineage.io/spec/facets/${version}/${name}.json#/$defs/${name}`

export const FACET_SCHEMA_URLS = {
  jobType: facetSchema('JobTypeJobFacet', '2-0-4'),
  processing_engine: facetSchema('ProcessingEngineRunFacet', '1-1-1'),
  nominalTime: facetSchema('NominalTimeRunFacet', '1-0-1'),
  errorMessage: facetSchema('ErrorMessageRunFacet', '1-0-1'),
  parent: facetSchema('ParentRunFacet', '1-2-0'),
  jobDependencies: facetSchema('JobDependenciesRunFacet', '1-0-1'),
  outputStatistics: facetSchema('OutputStatisticsOutputDatasetFacet', '1-0-2'),
  datasetType: facetSchema('DatasetTypeDatasetFacet', '1-0-1'),
  processTracker_run: PROCESS_TRACKER_RUN_FACET_SCHEMA_URL,
} as const

export type FacetName = keyof typeof FACET_SCHEMA_URLS

/** A facet with its `_producer` and `_schemaURL`. */
export function facet<T extends object>(name: FacetName, fields: T): T & { _producer: string; _schemaURL: string } {
  return { _producer: PRODUCER, _schemaURL: FACET_SCHEMA_URLS[name], ...fields }
}
