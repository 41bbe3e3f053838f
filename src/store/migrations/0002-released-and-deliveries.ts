import type { AddedColumns } from './table-spec.ts'
import { col } from './table-spec.ts'

/**
 * Schema 2 (processtracker 0.2): the `released` process status, and what redelivery detection of
 * `registerExtractsByLocation` records. Only nullable columns are added, so stores of 0.1 upgrade
 * in place; files registered before it have no recorded size or time and are never taken for a
 * new delivery by the first registration that records them.
 */
export const DELIVERY_COLUMNS: readonly AddedColumns[] = [
  {
    table: 'extract_tracking',
    columns: {
      extract_file_size_bytes: col.bigint({ nullable: true }),
      extract_file_modified_date_time: col.timestamp({ nullable: true }),
      extract_file_etag: col.str(250, { nullable: true }),
      extract_delivery_date_time: col.timestamp({ nullable: true }),
      extract_delivery_process_tracking_id: col.int({ nullable: true }),
    },
  },
  { table: 'extract_status_history', columns: { event_note: col.str(250, { nullable: true }) } },
]

/** The status a released hold becomes; a store may already have a custom status of that name. */
export const RELEASED_STATUS = { process_status_name: 'released', process_status_category: 'released' }
