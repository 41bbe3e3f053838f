/** `processtracker import-python --from URL`: bring a Python ProcessTracker database over. */
import { Option, type Command } from 'commander'
import { importPythonDatabase, STATUS_CATEGORIES, type ImportProgress } from '../../import/import-python.ts'
import { formatImportReport } from '../../import/report.ts'
import type { StatusCategory } from '../../store/context.ts'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { UsageError } from '../exit-codes.ts'

interface ImportOptions {
  from: string
  fromSchema?: string
  dryRun?: boolean
  statusCategory?: Record<string, StatusCategory>
}

/** Collects repeated `--status-category NAME=CATEGORY` into one record. */
function collectStatusCategory(value: string, previous: Record<string, StatusCategory> = {}): Record<string, StatusCategory> {
  const at = value.lastIndexOf('=')
  const name = value.slice(0, at).trim()
  const category = value.slice(at + 1).trim()
  if (at < 1 || name === '' || !STATUS_CATEGORIES.includes(category as StatusCategory)) {
    throw new UsageError(`--status-category wants NAME=CATEGORY with CATEGORY one of ${STATUS_CATEGORIES.join(', ')}, not "${value}".`)
  }
  return { ...previous, [name]: category as StatusCategory }
}

/** Adds `import-python` to the program. */
export function addImportPythonCommand(program: Command, act: Act): void {
  program
    .command('import-python')
    .summary('import a Python ProcessTracker database into this (empty) data store')
    .description(
      'Copy every row of a Python ProcessTracker database (PostgreSQL or MySQL) into the data store, keeping ids, in one transaction. ' +
        'The source is only read, in one consistent snapshot. What the Python implementation got wrong is mended and reported ' +
        '(sentinel dates, latest-run flags, duplicate run numbers, second active runs, extract status history). ' +
        'The data store must hold no runs and no processes.',
    )
    .requiredOption('--from <url>', 'the Python database: postgres://USER:PASSWORD@HOST/DB or mysql://…')
    .option('--from-schema <schema>', 'PostgreSQL schema holding the Python tables (default process_tracker, then the search path)')
    .option('--dry-run', 'read, check and report what would be written and mended; write nothing')
    .addOption(
      new Option(
        '--status-category <name=category>',
        `category of a custom process status (${STATUS_CATEGORIES.join(', ')}); default succeeded`,
      ).argParser(collectStatusCategory),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker --url postgres://pt@new-db/tracker import-python --from postgres://pt_admin@old-db/process_tracker --dry-run
  $ processtracker --url postgres://pt@new-db/tracker import-python --from mysql://pt@old-db/process_tracker --status-category skipped=succeeded --json`,
    )
    .action(
      act(async (context, command) => {
        const options = command.opts<ImportOptions>()
        const { output } = context
        const onProgress = (progress: ImportProgress) => {
          output.status(
            `Importing ${progress.table}: ${progress.rowsRead.toLocaleString('en-US')} of ${progress.rowsTotal.toLocaleString('en-US')} rows`,
          )
        }
        const report = await withStore(context, async (store) => {
          try {
            return await importPythonDatabase(store, {
              from: options.from,
              fromSchema: options.fromSchema,
              dryRun: options.dryRun === true,
              statusCategories: options.statusCategory,
              onProgress,
            })
          } finally {
            output.status(null)
          }
        })
        if (output.mode.json) output.json(report)
        else output.result(formatImportReport(report).trimEnd())
        return 0
      }),
    )
}
