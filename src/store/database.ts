import type { ColumnType, Generated } from 'kysely'

/**
 * The tables as Kysely sees them. Names are the Python implementation's, so SQL and reports written
 * against a Python ProcessTracker database carry over; processtracker's additions are marked.
 * Drivers differ in what they return (SQLite gives timestamps as text, PostgreSQL counts as strings
 * unless parsed): rows are normalised by the repository code (`src/store/values.ts`).
 */

/** A UTC timestamp with millisecond precision. SQLite stores it as text 'YYYY-MM-DD HH:MM:SS.SSS'. */
export type Timestamp = ColumnType<Date | string, Date, Date>
export type NullableTimestamp = ColumnType<Date | string | null, Date | null | undefined, Date | null>
/** SQLite and MySQL hand booleans back as 0/1. */
export type Bool = ColumnType<boolean | number, boolean | undefined, boolean>
type Id = Generated<number>
type Count = ColumnType<number, number | undefined, number>
type Decimal = ColumnType<number | string | null, number | null | undefined, number | null>

/** Audit columns present on every table. */
export interface Audit {
  created_date_time: Generated<Date | string>
  created_by: Generated<string>
  update_date_time: Generated<Date | string>
  updated_by: Generated<string>
}

export interface Lookup extends Audit {
  /** processtracker addition: seeded rows cannot be updated or deleted. */
  is_protected: Generated<boolean | number>
}

export interface ProcessTable extends Audit {
  process_id: Id
  process_name: string
  total_record_count: Count
  process_type_id: number | null
  process_tool_id: number | null
  schedule_frequency_id: number
  last_failed_run_date_time: NullableTimestamp
  last_completed_run_date_time: NullableTimestamp
  last_errored_run_date_time: NullableTimestamp
}

export interface ProcessTrackingTable extends Audit {
  process_tracking_id: Id
  process_id: number
  process_status_id: number
  process_run_id: number
  process_run_low_date_time: NullableTimestamp
  process_run_high_date_time: NullableTimestamp
  process_run_start_date_time: Timestamp
  process_run_end_date_time: NullableTimestamp
  process_run_record_count: Count
  process_run_insert_count: Count
  process_run_update_count: Count
  process_run_actor_id: number | null
  is_latest_run: Bool
  process_run_name: string | null
  /** processtracker addition: heartbeats (null: the run is never reaped). */
  heartbeat_timeout_seconds: number | null
  last_heartbeat_date_time: NullableTimestamp
  /** Since schema 5: the run's OpenLineage runId, a UUIDv7 made at start (unique). */
  run_uuid: ColumnType<string | null, string | null | undefined, string | null>
}

export interface ProcessStatusTable extends Lookup {
  process_status_id: Id
  process_status_name: string
  /** processtracker addition: active | succeeded | failed | held. */
  process_status_category: string
}

export interface ErrorTrackingTable extends Audit {
  error_tracking_id: Id
  error_type_id: number
  process_tracking_id: number
  error_description: string | null
  error_occurrence_date_time: Timestamp
}

export interface ProcessDependencyTable extends Audit {
  parent_process_id: number
  child_process_id: number
  dependency_type_id: number
}

export interface LocationTable extends Lookup {
  location_id: Id
  location_name: string
  location_path: string
  /** processtracker addition: SHA-256 of the path, the unique key (MySQL cannot index 2,048 characters). */
  location_path_hash: string
  location_type_id: number
  location_file_count: number | null
  location_bucket_name: string | null
}

export interface ExtractTrackingTable extends Audit {
  extract_id: Id
  extract_filename: string
  /** processtracker addition: SHA-256 of the filename; unique with the location. */
  extract_filename_hash: string
  extract_location_id: number
  extract_status_id: number
  extract_registration_date_time: Timestamp
  extract_write_low_date_time: NullableTimestamp
  extract_write_high_date_time: NullableTimestamp
  extract_write_record_count: number | null
  extract_load_low_date_time: NullableTimestamp
  extract_load_high_date_time: NullableTimestamp
  extract_load_record_count: number | null
  extract_compression_type_id: number | null
  extract_filetype_id: number | null
  extract_filesize: Decimal
  extract_filesize_type_id: number | null
  /** processtracker addition: the run that claimed it for loading (claims go back to ready if it fails). */
  extract_claim_process_tracking_id: number | null
  /** Since schema 2: the file's size in bytes when last registered by location (redelivery detection). */
  extract_file_size_bytes: ColumnType<number | string | null, number | null | undefined, number | null>
  /** Since schema 2: the file's modification time (S3: LastModified) when last registered by location. */
  extract_file_modified_date_time: NullableTimestamp
  /** Since schema 2: the S3 object's ETag when last registered by location. */
  extract_file_etag: ColumnType<string | null, string | null | undefined, string | null>
  /** Since schema 2: when the current delivery of the file was registered. */
  extract_delivery_date_time: NullableTimestamp
  /** Since schema 2: the run that registered the current delivery. */
  extract_delivery_process_tracking_id: ColumnType<number | null, number | null | undefined, number | null>
}

export interface ExtractProcessTrackingTable extends Audit {
  extract_tracking_id: number
  process_tracking_id: number
  extract_process_status_id: number
  extract_process_event_date_time: Timestamp
}

export interface ExtractStatusHistoryTable extends Audit {
  extract_status_history_id: Id
  extract_id: number
  process_tracking_id: number | null
  extract_status_id: number
  event_date_time: Timestamp
  /** Since schema 2: why the status changed, when it was not a plain change (a new delivery). */
  event_note: ColumnType<string | null, string | null | undefined, string | null>
}

type NamedLookup<IdKey extends string, NameKey extends string> = Lookup & Record<IdKey, Id> & Record<NameKey, string>
type Link<A extends string, B extends string> = Audit & Record<A | B, number>

export interface Database {
  process: ProcessTable
  process_tracking: ProcessTrackingTable
  process_status_lkup: ProcessStatusTable
  process_type_lkup: NamedLookup<'process_type_id', 'process_type_name'>
  process_dependency: ProcessDependencyTable
  dependency_type_lkup: NamedLookup<'dependency_type_id', 'dependency_type_name'>
  error_type_lkup: NamedLookup<'error_type_id', 'error_type_name'>
  error_tracking: ErrorTrackingTable
  process_contact: Link<'process_id', 'contact_id'>
  process_dataset_type: Link<'process_id', 'dataset_type_id'>
  process_filter: Audit & {
    process_filter_id: Id
    process_id: number
    source_object_attribute_id: number
    filter_type_id: number
    filter_value_string: string | null
    filter_value_numeric: Decimal
  }
  process_source: Link<'source_id', 'process_id'>
  process_target: Link<'target_source_id', 'process_id'>
  process_source_object: Link<'process_id', 'source_object_id'>
  process_target_object: Link<'process_id', 'target_object_id'>
  process_source_object_attribute: Link<'process_id', 'source_object_attribute_id'> & {
    source_object_attribute_alias: string | null
    source_object_attribute_expression: string | null
  }
  process_target_object_attribute: Link<'process_id', 'target_object_attribute_id'> & {
    target_object_attribute_alias: string | null
    target_object_attribute_expression: string | null
  }
  actor_lkup: NamedLookup<'actor_id', 'actor_name'>
  tool_lkup: NamedLookup<'tool_id', 'tool_name'>
  schedule_frequency_lkup: NamedLookup<'schedule_frequency_id', 'schedule_frequency_name'>
  cluster_tracking_lkup: NamedLookup<'cluster_id', 'cluster_name'> & {
    cluster_max_memory: number | null
    cluster_max_memory_unit: string | null
    cluster_max_processing: number | null
    cluster_max_processing_unit: string | null
    cluster_current_memory_usage: number | null
    cluster_current_process_usage: number | null
  }
  cluster_process: Link<'cluster_id', 'process_id'>
  contact_lkup: NamedLookup<'contact_id', 'contact_name'> & { contact_email: string | null }
  system_lkup: Lookup & { system_id: Id; system_key: string; system_value: string }
  source_lkup: NamedLookup<'source_id', 'source_name'> & {
    source_type_id: Generated<number>
    character_set_id: number | null
    /** Since schema 5: the OpenLineage dataset namespace of the source's datasets. */
    source_uri: ColumnType<string | null, string | null | undefined, string | null>
  }
  source_type_lkup: NamedLookup<'source_type_id', 'source_type_name'>
  character_set_lkup: NamedLookup<'character_set_id', 'character_set_name'>
  data_type_lkup: NamedLookup<'data_type_id', 'data_type'>
  dataset_type_lkup: NamedLookup<'dataset_type_id', 'dataset_type'>
  filter_type_lkup: NamedLookup<'filter_type_id', 'filter_type_code'> & { filter_type_name: string }
  source_object_lkup: NamedLookup<'source_object_id', 'source_object_name'> & {
    source_id: number
    character_set_id: number | null
  }
  source_object_attribute_lkup: NamedLookup<'source_object_attribute_id', 'source_object_attribute_name'> & {
    source_object_id: number
    attribute_path: string | null
    data_type_id: number | null
    data_length: number | null
    data_decimal: number | null
    is_pii: Generated<boolean | number>
    default_value_string: string | null
    default_value_number: Decimal
    is_key: Generated<boolean | number>
    is_filter: Generated<boolean | number>
    is_partition: Generated<boolean | number>
  }
  source_contact: Link<'source_id', 'contact_id'>
  source_dataset_type: Link<'source_id', 'dataset_type_id'>
  source_object_dataset_type: Link<'source_object_id', 'dataset_type_id'>
  source_location: Link<'source_id', 'location_id'>
  source_object_location: Link<'source_object_id', 'location_id'>
  extract_status_lkup: NamedLookup<'extract_status_id', 'extract_status_name'>
  extract_compression_type_lkup: NamedLookup<'extract_compression_type_id', 'extract_compression_type'>
  extract_filetype_lkup: NamedLookup<'extract_filetype_id', 'extract_filetype'> & {
    extract_filetype_code: string
    delimiter_char: string | null
    quote_char: string | null
    escape_char: string | null
  }
  filesize_type_lkup: NamedLookup<'filesize_type_id', 'filesize_type_name'> & { filesize_type_code: string }
  location_type_lkup: NamedLookup<'location_type_id', 'location_type_name'>
  location_lkup: LocationTable
  extract_tracking: ExtractTrackingTable
  extract_process_tracking: ExtractProcessTrackingTable
  extract_status_history: ExtractStatusHistoryTable
  extract_dependency: Link<'parent_extract_id', 'child_extract_id'> & { dependency_type_id: number }
  extract_dataset_type: Link<'extract_id', 'dataset_type_id'>
  extract_source: Link<'extract_id', 'source_id'>
  extract_source_object: Link<'extract_id', 'source_object_id'>
  process_tracker_migration: { version: number; name: string; applied_date_time: Generated<Date | string> }
  /** Since schema 5: OpenLineage events waiting to be sent (src/lineage). */
  lineage_outbox: LineageOutboxTable
}

/** Since schema 5: the OpenLineage outbox (see src/store/migrations/0005-lineage.ts). */
export interface LineageOutboxTable extends Audit {
  outbox_id: Id
  process_tracking_id: number
  event_type: string
  event_time: Timestamp
  job_namespace: string
  run_status_id: number | null
  run_record_count: ColumnType<number | string | null, number | null | undefined, number | null>
  run_low_date_time: NullableTimestamp
  run_high_date_time: NullableTimestamp
  nominal_start_time: string | null
  parent_namespace: string | null
  parent_name: string | null
  parent_run_id: string | null
  outbox_status: Generated<string>
  attempt_count: Generated<number>
  next_attempt_date_time: NullableTimestamp
  lease_owner: string | null
  lease_until_date_time: NullableTimestamp
  sent_date_time: NullableTimestamp
  payload: string | null
  response: string | null
}
