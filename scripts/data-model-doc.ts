// Writes docs/data-model.md from the migration's table list, so the document cannot drift from the
// schema (test/store/data-model-doc.test.ts compares them). Run: npx tsx scripts/data-model-doc.ts
import { writeFileSync } from 'node:fs'
import { MIGRATIONS } from '../src/store/migrations/index.ts'
import type { ColumnSpec } from '../src/store/migrations/table-spec.ts'
import { DROPPED_INDEXES } from '../src/store/migrations/0006-outbox-index.ts'

const type = (c: ColumnSpec): string =>
  c.kind === 'id'
    ? 'id (generated)'
    : c.kind === 'str'
      ? `varchar(${c.length ?? 250})`
      : c.kind === 'timestamp'
        ? 'timestamp (UTC, ms)'
        : c.kind

const INTRO = `# The data model

Generated from \`src/store/migrations/\` by \`npx tsx scripts/data-model-doc.ts\`; do not edit by hand.

The tables and columns are the Python implementation's (\`process_tracker\` schema), so SQL and reports
written for it carry over. processtracker adds what the Python models forgot or never had:

- **Constraints**: UNIQUE(process_id, process_run_id) on \`process_tracking\` — the database backstop of
  the one-running guarantee; an extract is unique by (location, filename), not by filename alone;
  every composite unique the Python SQL scripts had but its models lacked; foreign keys everywhere.
- **Columns**: \`process_status_category\` (active / succeeded / failed / held / released: how a status
  counts for the start rules; \`released\` since schema 2), \`heartbeat_timeout_seconds\` and \`last_heartbeat_date_time\` on runs,
  \`extract_claim_process_tracking_id\` on extracts, \`is_protected\` on lookups (seeded rows),
  \`location_path_hash\` / \`extract_filename_hash\` (SHA-256 hex: the unique keys, because MySQL cannot
  index 2,048-character paths), and the table \`extract_status_history\` (every extract status change
  with its run and time). Since schema 2, \`extract_tracking\` records the size, modification time and
  S3 ETag of a file registered by location and when its current delivery was registered (redelivery
  detection), and \`extract_status_history.event_note\` says why a status changed when it was not a plain
  change. \`process_tracker_migration\` records the schema version.
- **Audit columns on every table**: \`created_date_time\`, \`created_by\`, \`update_date_time\`,
  \`updated_by\` (the OS user of the writing process).
- **Time**: every timestamp is UTC with millisecond precision — \`timestamptz(3)\` on PostgreSQL,
  \`datetime(3)\` on MySQL/MariaDB (sessions run at +00:00), and text \`YYYY-MM-DD HH:MM:SS.SSS\` on SQLite.
  A time never set is NULL (the Python schema used 1900-01-01).
- **Names** compare exactly: MySQL tables use \`utf8mb4_bin\`.

## Relations

\`\`\`mermaid
erDiagram
  process ||--o{ process_tracking : "runs"
  process_status_lkup ||--o{ process_tracking : "status"
  actor_lkup ||--o{ process_tracking : "actor"
  process_type_lkup ||--o{ process : "type"
  tool_lkup ||--o{ process : "tool"
  schedule_frequency_lkup ||--o{ process : "frequency"
  process ||--o{ process_dependency : "parent / child"
  dependency_type_lkup ||--o{ process_dependency : "type"
  process_tracking ||--o{ error_tracking : "errors"
  error_type_lkup ||--o{ error_tracking : "type"
  source_lkup ||--o{ process_source : ""
  source_lkup ||--o{ process_target : ""
  process ||--o{ process_source : "sources"
  process ||--o{ process_target : "targets"
  source_lkup ||--o{ source_object_lkup : "objects"
  source_object_lkup ||--o{ source_object_attribute_lkup : "attributes"
  process ||--o{ process_source_object_attribute : ""
  process ||--o{ process_filter : "filters"
  cluster_tracking_lkup ||--o{ cluster_process : ""
  contact_lkup ||--o{ process_contact : ""
  contact_lkup ||--o{ source_contact : ""
  location_type_lkup ||--o{ location_lkup : "type"
  location_lkup ||--o{ extract_tracking : "holds"
  extract_status_lkup ||--o{ extract_tracking : "status"
  extract_filetype_lkup ||--o{ extract_tracking : "file type"
  extract_compression_type_lkup ||--o{ extract_tracking : "compression"
  extract_tracking ||--o{ extract_process_tracking : "runs"
  process_tracking ||--o{ extract_process_tracking : "extracts"
  extract_tracking ||--o{ extract_status_history : "history"
  extract_tracking ||--o{ extract_dependency : "parent / child"
\`\`\`

## Tables
`

const lines: string[] = [INTRO]
// Every table of every migration, in creation order; a table a later migration created says which.
for (const { table, version } of MIGRATIONS.flatMap((migration) =>
  migration.tables.map((table) => ({ table, version: migration.version })),
)) {
  lines.push(
    `### ${table.name}${version === 1 ? '' : ` (schema ${version})`}`,
    '',
    '| column | type | null | default | references |',
    '| --- | --- | --- | --- | --- |',
  )
  // Columns later migrations added to this table follow its own, marked with their schema version.
  const added = MIGRATIONS.flatMap((migration) =>
    (migration.columns ?? [])
      .filter((change) => change.table === table.name)
      .flatMap((change) =>
        Object.entries(change.columns).map(([name, column]) => [`${name} (schema ${migration.version})`, column] as const),
      ),
  )
  for (const [name, column] of [...Object.entries(table.columns), ...added]) {
    lines.push(
      `| ${name} | ${type(column)} | ${column.nullable ? 'yes' : ''} | ${column.default === undefined ? '' : String(column.default)} | ${column.references ?? ''} |`,
    )
  }
  if (table.lookup) lines.push('| is_protected | bool |  | false |  |')
  const keys: string[] = []
  if (table.primaryKey) keys.push(`primary key (${table.primaryKey.join(', ')})`)
  for (const unique of table.unique ?? []) keys.push(`unique (${unique.join(', ')})`)
  table.indexes?.forEach((index, i) => {
    // Index names are the table's name and the index's place (see createTable); a later migration may drop one.
    const dropped = DROPPED_INDEXES.some(([on, name]) => on === table.name && name === `${table.name}_idx${String(i + 1)}`)
    keys.push(`index (${index.join(', ')})${dropped ? ' (dropped in schema 6)' : ''}`)
  })
  for (const migration of MIGRATIONS) {
    for (const [on, , columns] of migration.indexes ?? []) {
      if (on === table.name) keys.push(`index (${columns.join(', ')}) (schema ${migration.version})`)
    }
  }
  lines.push('', keys.length > 0 ? `Keys: ${keys.join('; ')}.` : 'Keys: the id.', '')
}
export const DOCUMENT = `${lines.join('\n')}\n`

if (process.argv[1]?.endsWith('data-model-doc.ts')) writeFileSync(new URL('../docs/data-model.md', import.meta.url), DOCUMENT)
