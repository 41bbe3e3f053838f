/**
 * The file `processtracker apply -f` reads (cli.md "Since 0.2"): processes and their dependencies as
 * code, in YAML or JSON (the same keys). Checked whole before anything is read from the store, so a
 * typo names its place in the file (`processes[2].tool`) and nothing is written.
 */
import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { ValidationError } from '../../index.ts'

const names = z.union([z.string(), z.array(z.string())]).transform((value) => (typeof value === 'string' ? [value] : value))

/**
 * A process entry: `name` and the start options' names of cli.md (`type`/`tool` short for
 * `processType`/`toolName`), plus contacts and cluster (lookup names that must exist).
 */
const processEntry = z
  .object({
    name: z.string().optional(),
    processName: z.string().optional(),
    type: z.string().optional(),
    processType: z.string().optional(),
    tool: z.string().optional(),
    toolName: z.string().optional(),
    scheduleFrequency: z.string().optional(),
    sources: names.optional(),
    targets: names.optional(),
    contacts: names.optional(),
    cluster: z.string().optional(),
  })
  .strict()

const dependencyEntry = z
  .object({
    parent: z.string(),
    child: z.string(),
    type: z.enum(['Hard', 'Soft']).default('Hard'),
  })
  .strict()

const pipelineFile = z
  .object({
    processes: z.array(processEntry).default([]),
    dependencies: z.array(dependencyEntry).default([]),
  })
  .strict()

/** A process as the file declares it, keys normalised to the start options' names. */
export interface DeclaredProcess {
  processName: string
  processType?: string
  toolName?: string
  scheduleFrequency?: string
  sources: string[]
  targets: string[]
  contacts: string[]
  cluster?: string
}

/** A dependency as the file declares it. */
export interface DeclaredDependency {
  parent: string
  child: string
  type: 'Hard' | 'Soft'
}

/** A whole file. */
export interface Pipeline {
  processes: DeclaredProcess[]
  dependencies: DeclaredDependency[]
}

/** `processes[2].tool: Invalid input …` for each problem zod found. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path
        .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
        .join('')
        .replace(/^\./, '')
      return `${where === '' ? 'the file' : where}: ${issue.message}`
    })
    .join('; ')
}

/** Parses and checks a pipeline's text; `file` names it in messages. JSON is YAML, so one parser reads both. */
export function parsePipeline(text: string, file: string): Pipeline {
  let raw: unknown
  try {
    raw = parseYaml(text, { prettyErrors: true })
  } catch (error) {
    throw new ValidationError(
      `${file} is neither valid YAML nor JSON: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`,
      {
        field: 'file',
      },
    )
  }
  const parsed = pipelineFile.safeParse(raw ?? {})
  if (!parsed.success) throw new ValidationError(`${file} does not describe a pipeline: ${describeIssues(parsed.error)}`, { field: 'file' })
  const seen = new Set<string>()
  const processes = parsed.data.processes.map((entry, index): DeclaredProcess => {
    const processName = entry.name ?? entry.processName
    if (processName === undefined) throw new ValidationError(`${file}: processes[${index}] needs a name.`, { field: 'file' })
    if (seen.has(processName)) throw new ValidationError(`${file}: the process ${processName} is declared twice.`, { field: 'file' })
    seen.add(processName)
    return {
      processName,
      processType: entry.type ?? entry.processType,
      toolName: entry.tool ?? entry.toolName,
      scheduleFrequency: entry.scheduleFrequency,
      sources: entry.sources ?? [],
      targets: entry.targets ?? [],
      contacts: entry.contacts ?? [],
      cluster: entry.cluster,
    }
  })
  const edges = new Set<string>()
  for (const dependency of parsed.data.dependencies) {
    const key = `${dependency.parent}\u0000${dependency.child}`
    if (edges.has(key))
      throw new ValidationError(`${file}: the dependency ${dependency.parent} -> ${dependency.child} is declared twice.`, { field: 'file' })
    edges.add(key)
  }
  return { processes, dependencies: parsed.data.dependencies }
}

/** Reads and checks a pipeline file. */
export async function readPipeline(file: string): Promise<Pipeline> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error)
    throw new ValidationError(`Could not read ${file} (${code}).`, { field: 'file' })
  }
  return parsePipeline(text, file)
}
