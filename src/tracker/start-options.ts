import { ValidationError } from '../errors.ts'
import { checkParentRun } from '../lineage/parent.ts'
import type { ParentRun } from '../lineage/record.ts'
import { SCHEDULE_FREQUENCIES } from '../store/migrations/seeds.ts'
import {
  checkAttributeMap,
  checkDate,
  checkIntegerInRange,
  checkName,
  checkNameList,
  checkObjectMap,
  checkOptionalName,
  checkPlainObject,
} from './validation.ts'

/** Options of `ProcessTracker.start`. Only `processName` is always required. */
export interface StartOptions {
  /** The process this run belongs to; created on first use. */
  processName: string
  /** Required when the process is new (e.g. 'Extract', 'Load', or any name: created when missing). */
  processType?: string
  /** Who started the run; default the OS user name. */
  actorName?: string
  /** Default when the process is new: 'Node.js'. */
  toolName?: string
  /** Optional, unique across all runs. */
  processRunName?: string
  sources?: string | string[]
  targets?: string | string[]
  /** `{ source: [object, …] }` */
  sourceObjects?: Record<string, string[]>
  targetObjects?: Record<string, string[]>
  /** `{ source: { object: [attribute, …] } }` */
  sourceObjectAttributes?: Record<string, Record<string, string[]>>
  targetObjectAttributes?: Record<string, Record<string, string[]>>
  datasetTypes?: string | string[]
  /** One of the seeded frequencies; default when new: 'unscheduled'. */
  scheduleFrequency?: string
  /** 1–86 400: the run must beat more often than this, or it is reaped. */
  heartbeatTimeoutSeconds?: number
  /** Since 0.2: the scheduled time of this run (the OpenLineage `nominalTime` facet of its START). */
  nominalStartTime?: Date
  /** Since 0.2: the orchestrator's run that launched this one (the OpenLineage `parent` facet); default env `OPENLINEAGE_PARENT_ID`. */
  openlineageParent?: ParentRun
}

/** Sources or targets at every level given: source → objects → attributes. */
export type SideLinks = Map<string, Map<string, string[]>>

export interface ValidStart {
  processName: string
  processType: string | undefined
  actorName: string | undefined
  toolName: string | undefined
  processRunName: string | undefined
  sources: SideLinks
  targets: SideLinks
  datasetTypes: string[]
  scheduleFrequency: string | undefined
  heartbeatTimeoutSeconds: number | null
  nominalStartTime: Date | undefined
  openlineageParent: ParentRun | undefined
}

const KNOWN = new Set([
  'processName',
  'processType',
  'actorName',
  'toolName',
  'processRunName',
  'sources',
  'targets',
  'sourceObjects',
  'targetObjects',
  'sourceObjectAttributes',
  'targetObjectAttributes',
  'datasetTypes',
  'scheduleFrequency',
  'heartbeatTimeoutSeconds',
  'nominalStartTime',
  'openlineageParent',
])

/** Checks every option before anything is written. */
export function validateStartOptions(input: unknown): ValidStart {
  const options = checkPlainObject(input, 'start options')
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new ValidationError(`Unknown start option ${JSON.stringify(key)}.`, { field: key })
  }
  const frequency = checkOptionalName(options.scheduleFrequency, 'scheduleFrequency')
  if (frequency !== undefined && !(SCHEDULE_FREQUENCIES as readonly string[]).includes(frequency)) {
    throw new ValidationError(`scheduleFrequency ${JSON.stringify(frequency)} is not one of ${SCHEDULE_FREQUENCIES.join(', ')}.`, {
      field: 'scheduleFrequency',
    })
  }
  return {
    processName: checkName(options.processName, 'processName'),
    processType: checkOptionalName(options.processType, 'processType'),
    actorName: checkOptionalName(options.actorName, 'actorName'),
    toolName: checkOptionalName(options.toolName, 'toolName'),
    processRunName: checkOptionalName(options.processRunName, 'processRunName'),
    sources: sideLinks(options, 'sources', 'sourceObjects', 'sourceObjectAttributes'),
    targets: sideLinks(options, 'targets', 'targetObjects', 'targetObjectAttributes'),
    datasetTypes: checkNameList(options.datasetTypes, 'datasetTypes'),
    scheduleFrequency: frequency,
    heartbeatTimeoutSeconds:
      options.heartbeatTimeoutSeconds === undefined || options.heartbeatTimeoutSeconds === null
        ? null
        : checkIntegerInRange(options.heartbeatTimeoutSeconds, 'heartbeatTimeoutSeconds', 1, 86_400),
    nominalStartTime: options.nominalStartTime === undefined ? undefined : checkDate(options.nominalStartTime, 'nominalStartTime'),
    openlineageParent: checkParentRun(options.openlineageParent, 'openlineageParent'),
  }
}

/** Merges the three levels of one side into source → object → attributes. */
function sideLinks(options: Record<string, unknown>, names: string, objects: string, attributes: string): SideLinks {
  const result: SideLinks = new Map()
  const source = (name: string) => {
    let entry = result.get(name)
    if (!entry) result.set(name, (entry = new Map<string, string[]>()))
    return entry
  }
  const object = (sourceName: string, objectName: string) => {
    const entry = source(sourceName)
    let list = entry.get(objectName)
    if (!list) entry.set(objectName, (list = []))
    return list
  }
  for (const name of checkNameList(options[names], names)) source(name)
  if (options[objects] !== undefined) {
    for (const [sourceName, list] of checkObjectMap(options[objects], objects)) {
      for (const objectName of list) object(sourceName, objectName)
      source(sourceName)
    }
  }
  if (options[attributes] !== undefined) {
    for (const [sourceName, objectMap] of checkAttributeMap(options[attributes], attributes)) {
      for (const [objectName, list] of objectMap) {
        const known = object(sourceName, objectName)
        for (const attribute of list) if (!known.includes(attribute)) known.push(attribute)
      }
    }
  }
  return result
}
