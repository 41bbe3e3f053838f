import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

const SPEC = '/work/shared/reference/openlineage-spec'
const CUSTOM = fileURLToPath(new URL('../../schemas/ProcessTrackerRunFacet.json', import.meta.url))
const CORE_ID = 'https://openlineage.io/spec/2-0-2/OpenLineage.json'

type Json = Record<string, unknown>

/** Facets by name, as they arrive. */
export type Facets = Record<string, Record<string, unknown> | undefined>
export interface OlDataset {
  namespace: string
  name: string
  facets?: Facets
  inputFacets?: Facets
  outputFacets?: Facets
}
/** An OpenLineage RunEvent as the tests read it. */
export interface OlEvent {
  eventType: string
  eventTime: string
  producer: string
  schemaURL: string
  run: { runId: string; facets: Facets }
  job: { namespace: string; name: string; facets: Facets }
  inputs: OlDataset[]
  outputs: OlDataset[]
}

/**
 * Validates OpenLineage events with ajv against the 2-0-2 RunEvent schema and, facet by facet, the
 * schema of every facet used (the spec's files, loaded as SOURCE.md says; our custom facet from
 * the package's `schemas/`).
 */
export class EventValidator {
  readonly #ajv: Ajv2020
  readonly #runEvent: ValidateFunction
  /** facet key (e.g. `jobType`) → the validator of its schema file (`{ jobType: … }`). */
  readonly #facets = new Map<string, ValidateFunction>()

  constructor() {
    this.#ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats.default(this.#ajv)
    this.#ajv.addSchema(JSON.parse(readFileSync(join(SPEC, 'OpenLineage.json'), 'utf8')) as Json)
    const files = readdirSync(join(SPEC, 'facets')).map((name) => join(SPEC, 'facets', name))
    for (const file of [...files, CUSTOM]) {
      const schema = JSON.parse(readFileSync(file, 'utf8')) as Json
      const validate = this.#ajv.compile(schema)
      for (const key of Object.keys(schema.properties ?? {})) this.#facets.set(key, validate)
    }
    this.#runEvent = this.#ajv.compile({ $ref: `${CORE_ID}#/$defs/RunEvent` })
  }

  /** The problems of one event (empty when it is valid), facets named. */
  problems(input: OlEvent): string[] {
    const event = input as unknown as Json
    const found: string[] = []
    if (!this.#runEvent(event)) found.push(`RunEvent: ${this.#ajv.errorsText(this.#runEvent.errors)}`)
    const check = (where: string, facets: unknown) => {
      for (const [key, value] of Object.entries((facets ?? {}) as Json)) {
        const validate = this.#facets.get(key)
        if (!validate) {
          found.push(`${where}.${key}: no schema for this facet`)
          continue
        }
        if (!validate({ [key]: value })) found.push(`${where}.${key}: ${this.#ajv.errorsText(validate.errors)}`)
      }
    }
    const run = event.run as Json
    const job = event.job as Json
    check('run.facets', run.facets)
    check('job.facets', job.facets)
    for (const [side, list] of [
      ['inputs', event.inputs],
      ['outputs', event.outputs],
    ] as const) {
      for (const [i, dataset] of ((list ?? []) as Json[]).entries()) {
        check(`${side}[${i}].facets`, dataset.facets)
        check(`${side}[${i}].outputFacets`, dataset.outputFacets)
        check(`${side}[${i}].inputFacets`, dataset.inputFacets)
      }
    }
    return found
  }
}
