/**
 * Turns what the tracker knows about one event into an OpenLineage 2-0-2 RunEvent (lineage.md,
 * "What is emitted"). Pure: the facts are read by `event-facts.ts`.
 */
import type { EventType, ParentRun } from './record.ts'
import { facet, PRODUCER, RUN_EVENT_SCHEMA_URL } from './facets.ts'

/** A source or target of the process, with the objects linked to it. */
export interface SideFact {
  sourceName: string
  uri: string | null
  objects: string[]
}

/** An extract linked to the run. */
export interface ExtractFact {
  /** `local filesystem` or `s3`. */
  locationType: string
  locationPath: string
  bucketName: string | null
  filename: string
  /** The status this run gave it (extract_process_tracking). */
  status: string
  sizeBytes: number | null
  writeRecordCount: number | null
}

/** A direct parent process (process_dependency). */
export interface DependencyFact {
  parentName: string
  type: string
  /** The parent's latest completed run at the event, if any. */
  parentRunUuid: string | null
}

/** Everything one event says. */
export interface EventFacts {
  eventType: EventType
  eventTime: Date
  namespace: string
  runUuid: string
  processTrackingId: number
  processRunId: number
  processRunName: string | null
  processName: string
  processType: string | null
  toolName: string | null
  actorName: string | null
  status: string
  recordCount: number
  lowDateTime: Date | null
  highDateTime: Date | null
  failureStreak: number
  nominalStartTime: string | null
  parent: ParentRun | null
  lastError: { errorType: string; description: string | null } | null
  sources: SideFact[]
  targets: SideFact[]
  extracts: ExtractFact[]
  dependencies: DependencyFact[]
}

/** Extract statuses that make the file an input of the run; any other makes it an output. */
const INPUT_STATUSES = new Set(['loading', 'loaded'])
/** The namespace of a source's datasets without a `uri`. */
export const DEFAULT_DATASET_NAMESPACE = 'processtracker'

type Json = Record<string, unknown>

/** The RunEvent for `facts`, as sent. */
export function buildRunEvent(facts: EventFacts): Json {
  const isStart = facts.eventType === 'START'
  const runFacets: Json = {}
  if (isStart) {
    runFacets.processing_engine = facet('processing_engine', { version: 'unknown', name: facts.toolName ?? 'unknown' })
    if (facts.nominalStartTime !== null) runFacets.nominalTime = facet('nominalTime', { nominalStartTime: facts.nominalStartTime })
  }
  if (facts.eventType === 'FAIL' && facts.lastError) {
    const { errorType, description } = facts.lastError
    runFacets.errorMessage = facet('errorMessage', {
      message: `${errorType}: ${description ?? 'Unspecified error.'}`,
      programmingLanguage: facts.toolName ?? 'unknown',
    })
  }
  if (facts.parent) {
    runFacets.parent = facet('parent', {
      run: { runId: facts.parent.runId },
      job: { namespace: facts.parent.namespace, name: facts.parent.name },
    })
  }
  if (facts.dependencies.length > 0) {
    runFacets.jobDependencies = facet('jobDependencies', {
      upstream: facts.dependencies.map((dependency) => ({
        job: { namespace: facts.namespace, name: dependency.parentName },
        ...(dependency.parentRunUuid ? { run: { runId: dependency.parentRunUuid } } : {}),
        dependency_type: 'IMPLICIT_DEPENDENCY',
        sequence_trigger_rule: 'FINISH_TO_START',
        status_trigger_rule: dependency.type === 'Soft' ? 'EXECUTE_EVERY_TIME' : 'EXECUTE_ON_SUCCESS',
      })),
    })
  }
  runFacets.processTracker_run = facet('processTracker_run', {
    processTrackingId: facts.processTrackingId,
    processRunId: facts.processRunId,
    processRunName: facts.processRunName,
    status: facts.status,
    actorName: facts.actorName,
    recordCount: facts.recordCount,
    lowDateTime: facts.lowDateTime?.toISOString() ?? null,
    highDateTime: facts.highDateTime?.toISOString() ?? null,
    failureStreak: facts.failureStreak,
  })

  const inputs: Json[] = sideDatasets(facts.sources)
  const outputs: Json[] = sideDatasets(facts.targets)
  for (const extract of facts.extracts) {
    const identity = extractIdentity(extract)
    if (INPUT_STATUSES.has(extract.status)) {
      inputs.push({ ...identity, facets: { datasetType: facet('datasetType', { datasetType: 'FILE' }) } })
      continue
    }
    const statistics: Json = { fileCount: 1 }
    if (extract.writeRecordCount !== null) statistics.rowCount = extract.writeRecordCount
    if (extract.sizeBytes !== null) statistics.size = extract.sizeBytes
    outputs.push({
      ...identity,
      facets: { datasetType: facet('datasetType', { datasetType: 'FILE' }) },
      outputFacets: { outputStatistics: facet('outputStatistics', statistics) },
    })
  }
  // The run's own record count describes its one output, when it has exactly one.
  const [only] = outputs
  if (!isStart && outputs.length === 1 && only) {
    const outputFacets = (only.outputFacets ?? {}) as Json
    const statistics = (outputFacets.outputStatistics ?? facet('outputStatistics', {})) as Json
    if (statistics.rowCount === undefined) statistics.rowCount = facts.recordCount
    only.outputFacets = { ...outputFacets, outputStatistics: statistics }
  }

  const jobFacets: Json = {
    jobType: facet('jobType', {
      processingType: 'BATCH',
      integration: 'PROCESSTRACKER',
      ...(facts.processType === null ? {} : { jobType: facts.processType }),
    }),
  }
  return {
    eventType: facts.eventType,
    eventTime: facts.eventTime.toISOString(),
    producer: PRODUCER,
    schemaURL: RUN_EVENT_SCHEMA_URL,
    run: { runId: facts.runUuid, facets: runFacets },
    job: { namespace: facts.namespace, name: facts.processName, facets: jobFacets },
    inputs,
    outputs,
  }
}

/** A source or target as datasets: one per object, else one named after the source. */
function sideDatasets(sides: readonly SideFact[]): Json[] {
  return sides.flatMap((side) => {
    const namespace = side.uri ?? DEFAULT_DATASET_NAMESPACE
    const names = side.objects.length > 0 ? side.objects : [side.sourceName]
    return names.map((name) => ({ namespace, name }))
  })
}

/**
 * The dataset identity of a file, as the OpenLineage naming spec writes it, so that a producer's
 * output and a consumer's input are one dataset: local files in namespace `file` by full path,
 * S3 objects in namespace `s3://BUCKET` by key.
 */
export function extractIdentity(extract: Pick<ExtractFact, 'locationType' | 'locationPath' | 'bucketName' | 'filename'>): {
  namespace: string
  name: string
} {
  if (extract.locationType === 's3' && extract.bucketName !== null) {
    const prefix = extract.locationPath.slice(`s3://${extract.bucketName}`.length).replace(/^\/+/, '')
    return {
      namespace: `s3://${extract.bucketName}`,
      name: prefix === '' ? extract.filename : `${prefix.replace(/\/+$/, '')}/${extract.filename}`,
    }
  }
  return { namespace: 'file', name: `${extract.locationPath.replace(/\/+$/, '')}/${extract.filename}` }
}
