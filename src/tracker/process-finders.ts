import type { Db } from '../store/dialect/adapter.ts'
import { toBool, toNumberOrNull } from '../store/values.ts'

/** A contact of a process, directly (`process`) or through one of its sources (`source`). */
export interface ProcessContact {
  contactName: string
  contactEmail: string | null
  contactType: 'source' | 'process'
}

export interface ProcessFilter {
  sourceName: string
  sourceObjectName: string
  sourceObjectAttributeName: string
  filterTypeCode: string
  filterValueNumeric: number | null
  filterValueString: string | null
}

export interface SourceAttribute {
  sourceName: string
  sourceType: string
  sourceObjectName: string
  sourceObjectAttributeName: string
  isKey: boolean
  isFilter: boolean
  isPartition: boolean
}

export interface TargetAttribute {
  targetName: string
  targetType: string
  targetObjectName: string
  targetObjectAttributeName: string
  isKey: boolean
  isFilter: boolean
  isPartition: boolean
}

/** Source contacts first, then the process's own, each sorted by name (the Python order of groups). */
export async function findProcessContacts(db: Db, processId: number): Promise<ProcessContact[]> {
  const viaSources = await db
    .selectFrom('process_source as ps')
    .innerJoin('source_contact as sc', 'sc.source_id', 'ps.source_id')
    .innerJoin('contact_lkup as c', 'c.contact_id', 'sc.contact_id')
    .select(['c.contact_name', 'c.contact_email'])
    .distinct()
    .where('ps.process_id', '=', processId)
    .orderBy('c.contact_name')
    .execute()
  const direct = await db
    .selectFrom('process_contact as pc')
    .innerJoin('contact_lkup as c', 'c.contact_id', 'pc.contact_id')
    .select(['c.contact_name', 'c.contact_email'])
    .where('pc.process_id', '=', processId)
    .orderBy('c.contact_name')
    .execute()
  return [
    ...viaSources.map((row) => ({ contactName: row.contact_name, contactEmail: row.contact_email, contactType: 'source' as const })),
    ...direct.map((row) => ({ contactName: row.contact_name, contactEmail: row.contact_email, contactType: 'process' as const })),
  ]
}

export async function findProcessFilters(db: Db, processId: number): Promise<ProcessFilter[]> {
  const rows = await db
    .selectFrom('process_filter as f')
    .innerJoin('source_object_attribute_lkup as a', 'a.source_object_attribute_id', 'f.source_object_attribute_id')
    .innerJoin('source_object_lkup as o', 'o.source_object_id', 'a.source_object_id')
    .innerJoin('source_lkup as s', 's.source_id', 'o.source_id')
    .innerJoin('filter_type_lkup as ft', 'ft.filter_type_id', 'f.filter_type_id')
    .select([
      's.source_name',
      'o.source_object_name',
      'a.source_object_attribute_name',
      'ft.filter_type_code',
      'f.filter_value_numeric',
      'f.filter_value_string',
    ])
    .where('f.process_id', '=', processId)
    .orderBy('s.source_name')
    .orderBy('o.source_object_name')
    .orderBy('a.source_object_attribute_name')
    .execute()
  return rows.map((row) => ({
    sourceName: row.source_name,
    sourceObjectName: row.source_object_name,
    sourceObjectAttributeName: row.source_object_attribute_name,
    filterTypeCode: row.filter_type_code,
    filterValueNumeric: toNumberOrNull(row.filter_value_numeric),
    filterValueString: row.filter_value_string,
  }))
}

async function attributes(db: Db, processId: number, side: 'source' | 'target') {
  const base =
    side === 'source'
      ? db
          .selectFrom('process_source_object_attribute as l')
          .innerJoin('source_object_attribute_lkup as a', 'a.source_object_attribute_id', 'l.source_object_attribute_id')
      : db
          .selectFrom('process_target_object_attribute as l')
          .innerJoin('source_object_attribute_lkup as a', 'a.source_object_attribute_id', 'l.target_object_attribute_id')
  return base
    .innerJoin('source_object_lkup as o', 'o.source_object_id', 'a.source_object_id')
    .innerJoin('source_lkup as s', 's.source_id', 'o.source_id')
    .innerJoin('source_type_lkup as st', 'st.source_type_id', 's.source_type_id')
    .select([
      's.source_name',
      'st.source_type_name',
      'o.source_object_name',
      'a.source_object_attribute_name',
      'a.is_key',
      'a.is_filter',
      'a.is_partition',
    ])
    .where('l.process_id', '=', processId)
    .orderBy('s.source_name')
    .orderBy('o.source_object_name')
    .orderBy('a.source_object_attribute_name')
    .execute()
}

export async function findProcessSourceAttributes(db: Db, processId: number): Promise<SourceAttribute[]> {
  return (await attributes(db, processId, 'source')).map((row) => ({
    sourceName: row.source_name,
    sourceType: row.source_type_name,
    sourceObjectName: row.source_object_name,
    sourceObjectAttributeName: row.source_object_attribute_name,
    isKey: toBool(row.is_key),
    isFilter: toBool(row.is_filter),
    isPartition: toBool(row.is_partition),
  }))
}

export async function findProcessTargetAttributes(db: Db, processId: number): Promise<TargetAttribute[]> {
  return (await attributes(db, processId, 'target')).map((row) => ({
    targetName: row.source_name,
    targetType: row.source_type_name,
    targetObjectName: row.source_object_name,
    targetObjectAttributeName: row.source_object_attribute_name,
    isKey: toBool(row.is_key),
    isFilter: toBool(row.is_filter),
    isPartition: toBool(row.is_partition),
  }))
}
