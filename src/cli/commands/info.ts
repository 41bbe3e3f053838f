/** `processtracker info`: which store am I talking to, chosen how, with which settings, holding what. */
import type { Command } from 'commander'
import { recordedVersion, SCHEMA_VERSION } from '../../store/migrations/index.ts'
import type { Act } from '../action.ts'
import { requireDatabase } from '../local-only.ts'
import { describeSource, maskedStore, withReadStore } from '../context.ts'
import { settingSources } from '../setting-sources.ts'
import { contextOf } from '../../store/context.ts'

/** Adds `info` to the program. */
export function addInfoCommand(program: Command, act: Act): void {
  program
    .command('info')
    .summary('which store, chosen how (password masked), its schema version and counts')
    .description(
      'Answer "which store am I talking to?": the URL with the password masked, which rule of the resolution ' +
        'order chose it (--url, --config, env, the home ini file or the default), the settings in force and where ' +
        'each came from, the schema version, and counts of processes, runs and extracts. Creates nothing: a store ' +
        'that does not exist yet is an error saying `processtracker setup` creates it.',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker info
  $ PROCESS_TRACKER_DATABASE_URL=postgres://pt@db:5432/tracker processtracker --json info`,
    )
    .action(
      act(async (context) => {
        requireDatabase(context, 'info')
        const { output } = context
        const facts = await withReadStore(context, async (store) => ({
          store: {
            url: maskedStore(store),
            dialect: store.dialect,
            schema: store.connection.schema ?? null,
            source: store.connection.source,
            chosenBy: describeSource(store),
            configFile: store.connection.configFile,
          },
          schemaVersion: await recordedVersion(contextOf(store).db),
          knownSchemaVersion: SCHEMA_VERSION,
          settings: await settingSources(store, context.env),
          counts: await store.counts(),
        }))
        if (output.mode.json) {
          output.json(facts)
          return 0
        }
        const { counts, settings } = facts
        const rows: [string, string][] = [
          ['Store', facts.store.url],
          ['Dialect', facts.store.dialect],
          ['Chosen by', facts.store.chosenBy],
          ['Config file', facts.store.configFile ?? 'none'],
          ['Schema version', `${facts.schemaVersion} (this processtracker knows ${facts.knownSchemaVersion})`],
          ...Object.entries(settings).map(([key, { value, source }]): [string, string] => [key, `${value} (${source})`]),
          ['Processes', String(counts.processes)],
          ['Runs', `${counts.runs} (${counts.activeRuns} active, ${counts.onHold} on hold)`],
          ['Extracts', String(counts.extracts)],
        ]
        const width = Math.max(...rows.map(([label]) => label.length))
        for (const [label, value] of rows) output.result(`${output.out.bold(`${label}:`.padEnd(width + 1))}  ${value}`)
        return 0
      }),
    )
}
