/**
 * The topics of `create`, `update` and `delete` (the Python CLI's list), how each is named on the
 * command line, and which extra options each one takes. Nine are lookup rows (`store.lookups`); the
 * other three are links or runs with their own library calls.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { LOOKUP_TOPICS, type LookupExtra, type LookupTopic } from '../index.ts'
import { integerIn } from './parsers.ts'
import { UsageError } from './exit-codes.ts'

/** Every topic, as the Python CLI listed them. */
export const TOPICS = [
  'actor',
  'cluster',
  'cluster process',
  'contact',
  'error type',
  'extract status',
  'process dependency',
  'process run',
  'process status',
  'process type',
  'source',
  'tool',
] as const

/** A topic, lower case. */
export type Topic = (typeof TOPICS)[number]

/** Topics case-insensitively (`Actor`, `Process Run`), with runs of spaces allowed; an unknown one is a usage error. */
export function parseTopic(value: string): Topic {
  const key = value.trim().toLowerCase().replace(/\s+/g, ' ')
  const topic = TOPICS.find((name) => name === key)
  if (topic === undefined) throw new InvalidArgumentError(`Invalid topic "${value}". Use one of: ${TOPICS.join(', ')}.`)
  return topic
}

/** Whether the topic is a lookup row that `store.lookups` manages. */
export function isLookupTopic(topic: Topic): topic is Topic & LookupTopic {
  return (LOOKUP_TOPICS as readonly string[]).includes(topic)
}

/** The options `create`, `update` and `delete` share. */
export interface TopicOptions {
  topic: Topic
  name?: string
  initialName?: string
  email?: string
  cluster?: string
  parent?: string
  child?: string
  type?: string
  maxMemory?: number
  memoryUnit?: string
  maxProcessing?: number
  processingUnit?: string
  category?: NonNullable<LookupExtra['category']>
}

/** The extra columns each lookup topic has, by option. */
const LOOKUP_EXTRAS: Partial<Record<LookupTopic, readonly (keyof LookupExtra & keyof typeof EXTRA_FLAGS)[]>> = {
  contact: ['email'],
  cluster: ['maxMemory', 'memoryUnit', 'maxProcessing', 'processingUnit'],
  'process status': ['category'],
}

/** Every option besides topic and names, with its flag for messages. */
const EXTRA_FLAGS = {
  email: '--email',
  cluster: '--cluster',
  parent: '--parent',
  child: '--child',
  type: '--type',
  maxMemory: '--max-memory',
  memoryUnit: '--memory-unit',
  maxProcessing: '--max-processing',
  processingUnit: '--processing-unit',
  category: '--category',
} as const satisfies Partial<Record<keyof TopicOptions, string>>

/** Which extra options a topic takes. */
function allowedExtras(topic: Topic): readonly (keyof typeof EXTRA_FLAGS)[] {
  if (topic === 'cluster process') return ['cluster', 'child']
  if (topic === 'process dependency') return ['parent', 'child', 'type']
  if (isLookupTopic(topic)) return LOOKUP_EXTRAS[topic] ?? []
  return []
}

/** Refuses an extra option the topic has no use for, rather than ignoring it silently. */
export function checkExtras(options: TopicOptions, allowed: readonly (keyof typeof EXTRA_FLAGS)[] = allowedExtras(options.topic)): void {
  for (const [key, flag] of Object.entries(EXTRA_FLAGS) as [keyof typeof EXTRA_FLAGS, string][]) {
    if (options[key] !== undefined && !allowed.includes(key)) {
      throw new UsageError(`${flag} does not apply to topic ${options.topic}.`)
    }
  }
}

/** The lookup extras given, in the library's shape. */
export function lookupExtra(options: TopicOptions): LookupExtra {
  const extra: LookupExtra = {}
  if (options.email !== undefined) extra.email = options.email
  if (options.maxMemory !== undefined) extra.maxMemory = options.maxMemory
  if (options.memoryUnit !== undefined) extra.memoryUnit = options.memoryUnit
  if (options.maxProcessing !== undefined) extra.maxProcessing = options.maxProcessing
  if (options.processingUnit !== undefined) extra.processingUnit = options.processingUnit
  if (options.category !== undefined) extra.category = options.category
  return extra
}

/** The value of a required option, or a usage error naming it and the topic. */
export function required(value: string | undefined, flag: string, topic: Topic, action: string): string {
  if (value === undefined || value === '') throw new UsageError(`${action} -t "${topic}" needs ${flag}.`)
  return value
}

/** Adds -t and the extra options of the topics; `names` picks -n / -i. */
export function addTopicOptions(command: Command, which: { initialName?: boolean; lookupExtras?: boolean }): Command {
  command
    .addOption(
      new Option('-t, --topic <topic>', `what to change, case-insensitive: ${TOPICS.join(', ')}`)
        .argParser(parseTopic)
        .makeOptionMandatory(),
    )
    .option('-n, --name <name>', 'the name (for "process run": the process name)')
  if (which.initialName === true) command.option('-i, --initial-name <name>', 'the current name of the row to rename')
  command
    .option('--cluster <cluster>', 'cluster process: the cluster')
    .option('-p, --parent <process>', 'process dependency: the parent process')
    .option('-c, --child <process>', 'process dependency: the child process; cluster process: the process')
  if (which.lookupExtras === true) {
    command
      .option('--type <type>', 'process dependency: Hard (gates the child, default) or Soft (recorded only)')
      .option('--email <email>', 'contact: the e-mail address')
      .addOption(new Option('--max-memory <n>', 'cluster: maximum memory').argParser(integerIn(0, Number.MAX_SAFE_INTEGER)))
      .option('--memory-unit <unit>', 'cluster: unit of --max-memory, e.g. MB, GB, TB')
      .addOption(new Option('--max-processing <n>', 'cluster: maximum processing').argParser(integerIn(0, Number.MAX_SAFE_INTEGER)))
      .option('--processing-unit <unit>', 'cluster: unit of --max-processing, e.g. CPU, DPU')
      .addOption(
        new Option('--category <category>', 'process status: how the start rules count it').choices([
          'active',
          'succeeded',
          'failed',
          'held',
          'released',
        ]),
      )
  }
  return command
}
