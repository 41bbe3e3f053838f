/**
 * A portable description of a table. Migrations are written as data so that one list builds the
 * schema on every dialect (the adapter picks the column types) and documents it. Once a migration is
 * released its SQL is frozen (`sql/`), so changing these helpers changes only unreleased migrations.
 */
export type ColumnKind = 'id' | 'str' | 'int' | 'bigint' | 'bool' | 'timestamp' | 'decimal'

export interface ColumnSpec {
  kind: ColumnKind
  /** varchar length, for `str`. */
  length?: number
  nullable?: boolean
  default?: string | number | boolean
  /** `table.column` this column references. */
  references?: string
}

export interface TableSpec {
  name: string
  columns: Record<string, ColumnSpec>
  /** A composite primary key; tables with an `id` column have theirs already. */
  primaryKey?: string[]
  unique?: string[][]
  indexes?: string[][]
  /** Lookup tables get `is_protected`: their seeded rows cannot be changed. */
  lookup?: boolean
}

export const col = {
  id: (): ColumnSpec => ({ kind: 'id' }),
  str: (length: number, options: Omit<ColumnSpec, 'kind' | 'length'> = {}): ColumnSpec => ({ kind: 'str', length, ...options }),
  int: (options: Omit<ColumnSpec, 'kind'> = {}): ColumnSpec => ({ kind: 'int', ...options }),
  bigint: (options: Omit<ColumnSpec, 'kind'> = {}): ColumnSpec => ({ kind: 'bigint', ...options }),
  bool: (defaultValue = false): ColumnSpec => ({ kind: 'bool', default: defaultValue }),
  timestamp: (options: Omit<ColumnSpec, 'kind'> = {}): ColumnSpec => ({ kind: 'timestamp', ...options }),
  decimal: (): ColumnSpec => ({ kind: 'decimal', nullable: true }),
  ref: (target: string, options: Omit<ColumnSpec, 'kind' | 'references'> = {}): ColumnSpec => ({
    kind: 'int',
    references: target,
    ...options,
  }),
}

/** A lookup table: an id, a unique name, and nothing else unless given. */
export function lookupTable(
  name: string,
  idColumn: string,
  nameColumn: string,
  nameLength: number,
  extra: Record<string, ColumnSpec> = {},
  unique: string[][] = [],
): TableSpec {
  return {
    name,
    columns: { [idColumn]: col.id(), [nameColumn]: col.str(nameLength), ...extra },
    unique: [[nameColumn], ...unique],
    lookup: true,
  }
}

/** A link table between two rows: a composite primary key of two references. */
export function linkTable(name: string, a: [string, string], b: [string, string], extra: Record<string, ColumnSpec> = {}): TableSpec {
  return {
    name,
    columns: { [a[0]]: col.ref(a[1]), [b[0]]: col.ref(b[1]), ...extra },
    primaryKey: [a[0], b[0]],
    indexes: [[b[0]]],
  }
}

/** Columns a migration adds to an existing table; the data-model document lists them with it. */
export interface AddedColumns {
  table: string
  columns: Record<string, ColumnSpec>
}

/** An index a migration adds to an existing table: `[table, index name, columns]`. */
export type AddedIndex = readonly [table: string, name: string, columns: readonly string[]]
