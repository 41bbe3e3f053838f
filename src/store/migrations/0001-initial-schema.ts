import { col, linkTable, lookupTable, type TableSpec } from './table-spec.ts'

/**
 * The whole ProcessTracker data model (the Python implementation's tables and columns, plus the
 * constraints it forgot and the columns processtracker adds). Order matters: a table comes after
 * every table it references; dropping goes in reverse.
 */
export const INITIAL_TABLES: TableSpec[] = [
  // Lookups with no references
  lookupTable('actor_lkup', 'actor_id', 'actor_name', 250),
  lookupTable('tool_lkup', 'tool_id', 'tool_name', 250),
  lookupTable('schedule_frequency_lkup', 'schedule_frequency_id', 'schedule_frequency_name', 25),
  lookupTable('process_type_lkup', 'process_type_id', 'process_type_name', 250),
  lookupTable('process_status_lkup', 'process_status_id', 'process_status_name', 75, {
    process_status_category: col.str(25, { default: 'active' }),
  }),
  lookupTable('dependency_type_lkup', 'dependency_type_id', 'dependency_type_name', 75),
  lookupTable('error_type_lkup', 'error_type_id', 'error_type_name', 250),
  lookupTable('cluster_tracking_lkup', 'cluster_id', 'cluster_name', 250, {
    cluster_max_memory: col.int({ nullable: true }),
    cluster_max_memory_unit: col.str(2, { nullable: true }),
    cluster_max_processing: col.int({ nullable: true }),
    cluster_max_processing_unit: col.str(3, { nullable: true }),
    cluster_current_memory_usage: col.int({ nullable: true }),
    cluster_current_process_usage: col.int({ nullable: true }),
  }),
  lookupTable('contact_lkup', 'contact_id', 'contact_name', 250, { contact_email: col.str(750, { nullable: true }) }, [['contact_email']]),
  {
    name: 'system_lkup',
    columns: { system_id: col.id(), system_key: col.str(250), system_value: col.str(250) },
    unique: [['system_key']],
    lookup: true,
  },
  lookupTable('source_type_lkup', 'source_type_id', 'source_type_name', 75),
  lookupTable('character_set_lkup', 'character_set_id', 'character_set_name', 75),
  lookupTable('data_type_lkup', 'data_type_id', 'data_type', 75),
  lookupTable('dataset_type_lkup', 'dataset_type_id', 'dataset_type', 250),
  lookupTable('filter_type_lkup', 'filter_type_id', 'filter_type_code', 3, { filter_type_name: col.str(75) }, [['filter_type_name']]),
  lookupTable('extract_status_lkup', 'extract_status_id', 'extract_status_name', 75),
  lookupTable('extract_compression_type_lkup', 'extract_compression_type_id', 'extract_compression_type', 25),
  lookupTable('extract_filetype_lkup', 'extract_filetype_id', 'extract_filetype', 75, {
    extract_filetype_code: col.str(25),
    delimiter_char: col.str(1, { nullable: true }),
    quote_char: col.str(1, { nullable: true }),
    escape_char: col.str(1, { nullable: true }),
  }),
  lookupTable('filesize_type_lkup', 'filesize_type_id', 'filesize_type_name', 75, { filesize_type_code: col.str(2) }, [
    ['filesize_type_code'],
  ]),
  lookupTable('location_type_lkup', 'location_type_id', 'location_type_name', 25),

  // Processes and runs
  {
    name: 'process',
    columns: {
      process_id: col.id(),
      process_name: col.str(250),
      total_record_count: col.bigint({ default: 0 }),
      process_type_id: col.ref('process_type_lkup.process_type_id', { nullable: true }),
      process_tool_id: col.ref('tool_lkup.tool_id', { nullable: true }),
      schedule_frequency_id: col.ref('schedule_frequency_lkup.schedule_frequency_id'),
      last_failed_run_date_time: col.timestamp({ nullable: true }),
      last_completed_run_date_time: col.timestamp({ nullable: true }),
      last_errored_run_date_time: col.timestamp({ nullable: true }),
    },
    unique: [['process_name']],
    indexes: [['schedule_frequency_id']],
  },
  {
    name: 'process_tracking',
    columns: {
      process_tracking_id: col.id(),
      process_id: col.ref('process.process_id'),
      process_status_id: col.ref('process_status_lkup.process_status_id'),
      process_run_id: col.int(),
      process_run_low_date_time: col.timestamp({ nullable: true }),
      process_run_high_date_time: col.timestamp({ nullable: true }),
      process_run_start_date_time: col.timestamp(),
      process_run_end_date_time: col.timestamp({ nullable: true }),
      process_run_record_count: col.bigint({ default: 0 }),
      process_run_insert_count: col.bigint({ default: 0 }),
      process_run_update_count: col.bigint({ default: 0 }),
      process_run_actor_id: col.ref('actor_lkup.actor_id', { nullable: true }),
      is_latest_run: col.bool(false),
      process_run_name: col.str(250, { nullable: true }),
      heartbeat_timeout_seconds: col.int({ nullable: true }),
      last_heartbeat_date_time: col.timestamp({ nullable: true }),
    },
    // (process_id, process_run_id) is the backstop of the one-running guarantee: two runs can never
    // share a run number, whatever the lock did. It also serves "latest run of a process".
    unique: [['process_id', 'process_run_id'], ['process_run_name']],
    indexes: [
      ['process_id', 'is_latest_run'],
      ['process_status_id', 'process_tracking_id'],
      ['process_run_start_date_time', 'process_run_end_date_time'],
    ],
  },
  {
    name: 'process_dependency',
    columns: {
      parent_process_id: col.ref('process.process_id'),
      child_process_id: col.ref('process.process_id'),
      dependency_type_id: col.ref('dependency_type_lkup.dependency_type_id'),
    },
    primaryKey: ['parent_process_id', 'child_process_id'],
    indexes: [['child_process_id']],
  },
  {
    name: 'error_tracking',
    columns: {
      error_tracking_id: col.id(),
      error_type_id: col.ref('error_type_lkup.error_type_id'),
      process_tracking_id: col.ref('process_tracking.process_tracking_id'),
      error_description: col.str(750, { nullable: true }),
      error_occurrence_date_time: col.timestamp(),
    },
    indexes: [['process_tracking_id', 'error_tracking_id']],
  },
  linkTable('cluster_process', ['cluster_id', 'cluster_tracking_lkup.cluster_id'], ['process_id', 'process.process_id']),
  linkTable('process_contact', ['process_id', 'process.process_id'], ['contact_id', 'contact_lkup.contact_id']),
  linkTable('process_dataset_type', ['process_id', 'process.process_id'], ['dataset_type_id', 'dataset_type_lkup.dataset_type_id']),

  // Sources, objects and attributes
  {
    name: 'source_lkup',
    columns: {
      source_id: col.id(),
      source_name: col.str(250),
      source_type_id: col.ref('source_type_lkup.source_type_id', { default: 1 }),
      character_set_id: col.ref('character_set_lkup.character_set_id', { nullable: true }),
    },
    unique: [['source_name']],
    lookup: true,
  },
  {
    name: 'source_object_lkup',
    columns: {
      source_object_id: col.id(),
      source_id: col.ref('source_lkup.source_id'),
      source_object_name: col.str(250),
      character_set_id: col.ref('character_set_lkup.character_set_id', { nullable: true }),
    },
    unique: [['source_id', 'source_object_name']],
    lookup: true,
  },
  {
    name: 'source_object_attribute_lkup',
    columns: {
      source_object_attribute_id: col.id(),
      source_object_attribute_name: col.str(250),
      source_object_id: col.ref('source_object_lkup.source_object_id'),
      attribute_path: col.str(750, { nullable: true }),
      data_type_id: col.ref('data_type_lkup.data_type_id', { nullable: true }),
      data_length: col.int({ nullable: true }),
      data_decimal: col.int({ nullable: true }),
      is_pii: col.bool(false),
      default_value_string: col.str(250, { nullable: true }),
      default_value_number: col.decimal(),
      is_key: col.bool(false),
      is_filter: col.bool(false),
      is_partition: col.bool(false),
    },
    unique: [['source_object_id', 'source_object_attribute_name']],
    lookup: true,
  },
  linkTable('process_source', ['source_id', 'source_lkup.source_id'], ['process_id', 'process.process_id']),
  linkTable('process_target', ['target_source_id', 'source_lkup.source_id'], ['process_id', 'process.process_id']),
  linkTable('process_source_object', ['process_id', 'process.process_id'], ['source_object_id', 'source_object_lkup.source_object_id']),
  linkTable('process_target_object', ['process_id', 'process.process_id'], ['target_object_id', 'source_object_lkup.source_object_id']),
  linkTable(
    'process_source_object_attribute',
    ['process_id', 'process.process_id'],
    ['source_object_attribute_id', 'source_object_attribute_lkup.source_object_attribute_id'],
    {
      source_object_attribute_alias: col.str(250, { nullable: true }),
      source_object_attribute_expression: col.str(250, { nullable: true }),
    },
  ),
  linkTable(
    'process_target_object_attribute',
    ['process_id', 'process.process_id'],
    ['target_object_attribute_id', 'source_object_attribute_lkup.source_object_attribute_id'],
    {
      target_object_attribute_alias: col.str(250, { nullable: true }),
      target_object_attribute_expression: col.str(250, { nullable: true }),
    },
  ),
  {
    name: 'process_filter',
    columns: {
      process_filter_id: col.id(),
      process_id: col.ref('process.process_id'),
      source_object_attribute_id: col.ref('source_object_attribute_lkup.source_object_attribute_id'),
      filter_type_id: col.ref('filter_type_lkup.filter_type_id'),
      filter_value_string: col.str(250, { nullable: true }),
      filter_value_numeric: col.decimal(),
    },
    unique: [['process_id', 'source_object_attribute_id', 'filter_type_id']],
  },
  linkTable('source_contact', ['source_id', 'source_lkup.source_id'], ['contact_id', 'contact_lkup.contact_id']),
  linkTable('source_dataset_type', ['source_id', 'source_lkup.source_id'], ['dataset_type_id', 'dataset_type_lkup.dataset_type_id']),
  linkTable(
    'source_object_dataset_type',
    ['source_object_id', 'source_object_lkup.source_object_id'],
    ['dataset_type_id', 'dataset_type_lkup.dataset_type_id'],
  ),

  // Locations and extracts
  {
    name: 'location_lkup',
    columns: {
      location_id: col.id(),
      location_name: col.str(750),
      location_path: col.str(2048),
      location_path_hash: col.str(64),
      location_type_id: col.ref('location_type_lkup.location_type_id'),
      location_file_count: col.int({ nullable: true }),
      location_bucket_name: col.str(750, { nullable: true }),
    },
    unique: [['location_name'], ['location_path_hash']],
    lookup: true,
  },
  linkTable('source_location', ['source_id', 'source_lkup.source_id'], ['location_id', 'location_lkup.location_id']),
  linkTable(
    'source_object_location',
    ['source_object_id', 'source_object_lkup.source_object_id'],
    ['location_id', 'location_lkup.location_id'],
  ),
  {
    name: 'extract_tracking',
    columns: {
      extract_id: col.id(),
      extract_filename: col.str(1024),
      extract_filename_hash: col.str(64),
      extract_location_id: col.ref('location_lkup.location_id'),
      extract_status_id: col.ref('extract_status_lkup.extract_status_id'),
      extract_registration_date_time: col.timestamp(),
      extract_write_low_date_time: col.timestamp({ nullable: true }),
      extract_write_high_date_time: col.timestamp({ nullable: true }),
      extract_write_record_count: col.bigint({ nullable: true }),
      extract_load_low_date_time: col.timestamp({ nullable: true }),
      extract_load_high_date_time: col.timestamp({ nullable: true }),
      extract_load_record_count: col.bigint({ nullable: true }),
      extract_compression_type_id: col.ref('extract_compression_type_lkup.extract_compression_type_id', { nullable: true }),
      extract_filetype_id: col.ref('extract_filetype_lkup.extract_filetype_id', { nullable: true }),
      extract_filesize: col.decimal(),
      extract_filesize_type_id: col.ref('filesize_type_lkup.filesize_type_id', { nullable: true }),
      extract_claim_process_tracking_id: col.ref('process_tracking.process_tracking_id', { nullable: true }),
    },
    // An extract is identified by where it is and what it is called, not by its name alone.
    unique: [['extract_location_id', 'extract_filename_hash']],
    // (…, status, registration time, id): finders and claims read a location's or the pool's
    // extracts of one status oldest first straight off the index, so a claim's FOR UPDATE SKIP
    // LOCKED stops at its limit instead of locking every candidate for a sort.
    indexes: [
      ['extract_location_id', 'extract_status_id', 'extract_registration_date_time', 'extract_id'],
      ['extract_status_id', 'extract_registration_date_time', 'extract_id'],
      ['extract_claim_process_tracking_id'],
    ],
  },
  linkTable(
    'extract_process_tracking',
    ['extract_tracking_id', 'extract_tracking.extract_id'],
    ['process_tracking_id', 'process_tracking.process_tracking_id'],
    {
      extract_process_status_id: col.ref('extract_status_lkup.extract_status_id'),
      extract_process_event_date_time: col.timestamp(),
    },
  ),
  {
    name: 'extract_status_history',
    columns: {
      extract_status_history_id: col.id(),
      extract_id: col.ref('extract_tracking.extract_id'),
      process_tracking_id: col.ref('process_tracking.process_tracking_id', { nullable: true }),
      extract_status_id: col.ref('extract_status_lkup.extract_status_id'),
      event_date_time: col.timestamp(),
    },
    indexes: [['extract_id', 'extract_status_history_id']],
  },
  linkTable(
    'extract_dependency',
    ['parent_extract_id', 'extract_tracking.extract_id'],
    ['child_extract_id', 'extract_tracking.extract_id'],
    { dependency_type_id: col.ref('dependency_type_lkup.dependency_type_id') },
  ),
  linkTable(
    'extract_dataset_type',
    ['extract_id', 'extract_tracking.extract_id'],
    ['dataset_type_id', 'dataset_type_lkup.dataset_type_id'],
  ),
  linkTable('extract_source', ['extract_id', 'extract_tracking.extract_id'], ['source_id', 'source_lkup.source_id']),
  linkTable(
    'extract_source_object',
    ['extract_id', 'extract_tracking.extract_id'],
    ['source_object_id', 'source_object_lkup.source_object_id'],
  ),
]
