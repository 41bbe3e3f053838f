/**
 * The default rows every store starts with (marked protected). Seeding is idempotent: a row whose
 * unique key already exists is left as it is, so re-running `open()` never duplicates anything.
 */
export interface SeedSet {
  table: string
  /** The unique column that identifies a row. */
  key: string
  rows: Record<string, string | number | null>[]
}

const named = (table: string, key: string, names: string[]): SeedSet => ({
  table,
  key,
  rows: names.map((name) => ({ [key]: name })),
})

/** Process status name → category. Custom statuses default to `active`. */
export const PROCESS_STATUS_CATEGORIES = {
  running: 'active',
  completed: 'succeeded',
  failed: 'failed',
  'on hold': 'held',
  // Since 0.2 (migration 2): a released hold. Not a success, so children stay blocked.
  released: 'released',
} as const

export const EXTRACT_STATUSES = ['initializing', 'ready', 'loading', 'loaded', 'archived', 'deleted', 'error'] as const

export const SCHEDULE_FREQUENCIES = ['unscheduled', 'hourly', 'daily', 'weekly', 'monthly', 'quarterly', 'annually'] as const

export const SEEDS: SeedSet[] = [
  {
    table: 'process_status_lkup',
    key: 'process_status_name',
    rows: Object.entries(PROCESS_STATUS_CATEGORIES).map(([name, category]) => ({
      process_status_name: name,
      process_status_category: category,
    })),
  },
  named('extract_status_lkup', 'extract_status_name', [...EXTRACT_STATUSES]),
  named('error_type_lkup', 'error_type_name', ['File Error', 'Data Error', 'Process Error']),
  named('process_type_lkup', 'process_type_name', ['Extract', 'Load']),
  named('schedule_frequency_lkup', 'schedule_frequency_name', [...SCHEDULE_FREQUENCIES]),
  {
    table: 'filter_type_lkup',
    key: 'filter_type_code',
    rows: [
      ['eq', 'equal to'],
      ['lt', 'less than'],
      ['gt', 'greater than'],
      ['lte', 'less than or equal to'],
      ['gte', 'greater than or equal to'],
      ['not', 'not equal to'],
      ['lke', 'like'],
      ['in', 'in set'],
    ].map(([code, name]) => ({ filter_type_code: code ?? null, filter_type_name: name ?? null })),
  },
  {
    table: 'filesize_type_lkup',
    key: 'filesize_type_code',
    rows: [
      ['B', 'bytes'],
      ['KB', 'kilobytes'],
      ['MB', 'megabytes'],
      ['GB', 'gigabytes'],
      ['TB', 'terabytes'],
    ].map(([code, name]) => ({ filesize_type_code: code ?? null, filesize_type_name: name ?? null })),
  },
  named('source_type_lkup', 'source_type_name', ['Undefined', 'Database', 'Internal', 'External']),
  named('dependency_type_lkup', 'dependency_type_name', ['Undefined', 'Hard', 'Soft']),
  named('location_type_lkup', 'location_type_name', ['local filesystem', 's3']),
  {
    table: 'extract_filetype_lkup',
    key: 'extract_filetype',
    rows: [
      ['csv', 'Comma Separated Values', ',', '"', '\\'],
      ['tsv', 'Tab Separated Values', '\t', '"', '\\'],
      ['json', 'JavaScript Object Notation', null, null, null],
      ['parquet', 'Apache Parquet', null, null, null],
      ['avro', 'Apache Avro', null, null, null],
      ['orc', 'Apache ORC', null, null, null],
      ['xml', 'Extensible Markup Language', null, null, null],
      ['txt', 'Text', null, null, null],
    ].map(([code, name, delimiter, quote, escape]) => ({
      extract_filetype_code: code ?? null,
      extract_filetype: name ?? null,
      delimiter_char: delimiter ?? null,
      quote_char: quote ?? null,
      escape_char: escape ?? null,
    })),
  },
  named('extract_compression_type_lkup', 'extract_compression_type', ['zip', 'gzip', 'bz2', 'zstd']),
]
