/**
 * `processtracker extracts register|list|claim|status`: extract files from the shell. Writing
 * subcommands act for a run (`--tracking-id N`, default `$PROCESS_TRACKER_TRACKING_ID`, which `run`
 * sets); `list` only reads and creates nothing.
 */
import { Option, type Command } from 'commander'
import { ExtractTracker, ProcessTracker, type ExtractView } from '../../index.ts'
import type { Act } from '../action.ts'
import { requireDatabase } from '../local-only.ts'
import { withReadStore, withStore } from '../context.ts'
import { asOptionError } from '../exit-codes.ts'
import type { Column, Output } from '../output.ts'
import { collect, integerIn } from '../parsers.ts'
import { fit } from '../run-table.ts'
import { TRACKING_ID_ENV, trackingIdOf } from '../tracking-id.ts'

/** A location option is a path when it looks like one (`/…`, `./…`, `~…`, `s3://…`, `https://…`), else a location name. */
export function locationFilter(value: string): { locationPath: string } | { locationName: string } {
  return /^(\/|\.{1,2}(\/|$)|~|[a-z][a-z0-9+.-]*:\/\/)/i.test(value) || value.includes('/')
    ? { locationPath: value }
    : { locationName: value }
}

const trackingIdOption = () =>
  new Option('--tracking-id <n>', `the run acting (default: $${TRACKING_ID_ENV}, set by processtracker run)`).argParser(
    integerIn(1, Number.MAX_SAFE_INTEGER),
  )

/** A registered or claimed extract as `--json` prints it. */
function brief(extract: ExtractTracker): { extractId: number; filename: string; fullFilename: string; status: string } {
  return { extractId: extract.extractId, filename: extract.filename, fullFilename: extract.fullFilename, status: extract.status }
}

/** One line per extract: `ID<TAB>FULL FILENAME`, so a shell loop can read both. */
function printExtractLines(output: Output, extracts: readonly ExtractTracker[], empty: string): void {
  if (output.mode.json) output.json(extracts.map(brief))
  else if (extracts.length === 0) output.info(empty)
  else for (const extract of extracts) output.result(`${extract.extractId}\t${extract.fullFilename}`)
}

const LIST_COLUMNS: readonly Column<ExtractView>[] = [
  { heading: 'ID', value: (e) => String(e.extractId), align: 'right' },
  { heading: 'STATUS', value: (e) => e.status },
  { heading: 'LOCATION', value: (e) => fit(e.location.locationName, 40) },
  { heading: 'RECORDS', value: (e) => String(e.loadRecordCount ?? e.writeRecordCount ?? ''), align: 'right' },
  { heading: 'CHANGED BY', value: (e) => (e.lastChangedByTrackingId === null ? '' : `tracking id ${e.lastChangedByTrackingId}`) },
  { heading: 'FILE', value: (e) => e.fullFilename },
]

interface RegisterOptions {
  name?: string
  include?: string[]
  exclude?: string[]
  trackingId?: number
}

interface ListOptions {
  location?: string
  status?: string
  filename?: string
  process?: string
  limit: number
}

interface ClaimOptions {
  location: string
  limit: number
  trackingId?: number
}

interface StatusOptions {
  status: string
  trackingId?: number
}

/** Adds `extracts` and its subcommands to the program. */
export function addExtractsCommand(program: Command, act: Act): void {
  const extracts = program
    .command('extracts')
    .summary('register, list, claim and change extract files')
    .description(
      'Extract files passed between processes. register, claim and status act for a run: --tracking-id N, or ' +
        `$${TRACKING_ID_ENV} inside a command wrapped by processtracker run. list only reads.`,
    )
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker extracts register /data/landing --include '*.csv' --exclude '*.part'
  $ processtracker extracts list --location /data/landing --status ready
  $ processtracker extracts claim --location /data/landing --limit 10
  $ processtracker extracts status --status loaded 17 18 19`,
    )

  extracts
    .command('register')
    .summary('register the files of a folder or S3 prefix as ready extracts')
    .description(
      'Register the files directly in LOCATION (a local folder or s3://bucket/prefix/) as extracts of the run: new ' +
        'files become ready, known ones are linked with their status unchanged, and a known file whose size or ' +
        'modification time changed is a new delivery and becomes ready again. --include/--exclude globs (*, ?, […]) ' +
        'filter the file names. Shows progress on a terminal.',
    )
    .argument('<location>', 'a local folder or s3://bucket/prefix/')
    .option('--name <name>', 'the location name when it is registered now (default: derived from the path)')
    .option('--include <glob>', 'only file names matching this glob (repeatable)', collect)
    .option('--exclude <glob>', 'skip file names matching this glob, e.g. "*.part" (repeatable)', collect)
    .addOption(trackingIdOption())
    .action(
      act(async (context, command) => {
        requireDatabase(context, `extracts ${command.name()}`)
        const [location] = command.processedArgs as [string]
        const options = command.opts<RegisterOptions>()
        const trackingId = trackingIdOf(options.trackingId, context.env, 'extracts register')
        const { output } = context
        const registered = await withStore(context, async (store) => {
          const run = await ProcessTracker.resume(store, trackingId)
          let counted = ''
          try {
            return await output.progress(
              `Registering the files in ${location}`,
              () =>
                run.registerExtractsByLocation(location, {
                  locationName: options.name,
                  include: options.include,
                  exclude: options.exclude,
                  onProgress: ({ done, total }) => {
                    counted = `${done}/${total} files`
                  },
                }),
              () => counted,
            )
          } catch (error) {
            throw asOptionError(error, { locationName: '--name', include: '--include', exclude: '--exclude', locationPath: 'LOCATION' })
          }
        })
        if (output.mode.json) output.json(registered.map(brief))
        else {
          const ready = registered.filter((extract) => extract.status === 'ready').length
          output.info(
            `Registered ${registered.length} file${registered.length === 1 ? '' : 's'} in ${location} (${ready} ready) for tracking id ${trackingId}.`,
          )
        }
        return 0
      }),
    )

  extracts
    .command('list')
    .summary('list extracts, newest first')
    .description(
      'List extracts, newest first, filtered by location (path or name), status, filename text or the process whose runs touched them.',
    )
    .option('--location <location>', 'a location path or name')
    .option('--status <status>', 'only extracts with this status, e.g. ready, loading, loaded')
    .option('--filename <text>', 'only file names containing this text (literally)')
    .option('--process <name>', 'only extracts touched by runs of this process')
    .addOption(new Option('--limit <n>', 'how many (1-1000)').argParser(integerIn(1, 1000)).default(50))
    .action(
      act(async (context, command) => {
        requireDatabase(context, `extracts ${command.name()}`)
        const options = command.opts<ListOptions>()
        const rows = await withReadStore(context, async (store) => {
          try {
            return await store.listExtracts({
              ...(options.location === undefined ? {} : locationFilter(options.location)),
              status: options.status,
              filename: options.filename,
              processName: options.process,
              limit: options.limit,
            })
          } catch (error) {
            throw asOptionError(error, {
              locationPath: '--location',
              locationName: '--location',
              filename: '--filename',
              processName: '--process',
              status: '--status',
            })
          }
        })
        const { output } = context
        if (output.mode.json) output.json(rows)
        else if (rows.length === 0) output.info('No extracts found.')
        else output.table(LIST_COLUMNS, rows)
        return 0
      }),
    )

  extracts
    .command('claim')
    .summary('move ready extracts of a location to loading for the run')
    .description(
      'Atomically move up to --limit ready extracts of the location (oldest first, skipping any whose parent is not ' +
        'loaded) to loading for the run, and print them: ID and full filename, one per line. Runs claiming at the ' +
        'same time never get the same extract; if the run fails, its claims go back to ready.',
    )
    .requiredOption('--location <location>', 'a location path or name')
    .addOption(new Option('--limit <n>', 'at most this many (1-1000)').argParser(integerIn(1, 1000)).default(1))
    .addOption(trackingIdOption())
    .action(
      act(async (context, command) => {
        requireDatabase(context, `extracts ${command.name()}`)
        const options = command.opts<ClaimOptions>()
        const trackingId = trackingIdOf(options.trackingId, context.env, 'extracts claim')
        const claimed = await withStore(context, async (store) => {
          const run = await ProcessTracker.resume(store, trackingId)
          return run.claimExtracts({ ...locationFilter(options.location), limit: options.limit })
        })
        printExtractLines(context.output, claimed, 'Nothing to claim: no ready extract matches.')
        return 0
      }),
    )

  extracts
    .command('status')
    .summary('change the status of extracts, in one transaction')
    .description(
      'Move the extracts with these ids to STATUS for the run, all in one transaction (loading is refused while a parent extract is not loaded).',
    )
    .requiredOption('--status <status>', 'the new status, e.g. loading, loaded, failed')
    .argument('<extract-id...>', 'extract ids (the ID column of extracts list)', (value: string, previous: number[] | undefined) => [
      ...(previous ?? []),
      integerIn(1, Number.MAX_SAFE_INTEGER)(value),
    ])
    .addOption(trackingIdOption())
    .action(
      act(async (context, command) => {
        requireDatabase(context, `extracts ${command.name()}`)
        const options = command.opts<StatusOptions>()
        const [ids] = command.processedArgs as [number[]]
        const trackingId = trackingIdOf(options.trackingId, context.env, 'extracts status')
        const changed = await withStore(context, async (store) => {
          const run = await ProcessTracker.resume(store, trackingId)
          const list: ExtractTracker[] = []
          for (const id of ids) list.push(await ExtractTracker.get(run, id))
          await run.changeExtractStatuses(list, options.status)
          return list
        })
        const { output } = context
        if (output.mode.json) output.json(changed.map(brief))
        else output.info(`${changed.length} extract${changed.length === 1 ? '' : 's'} now ${options.status} (tracking id ${trackingId}).`)
        return 0
      }),
    )
}
