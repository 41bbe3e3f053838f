import { ConflictError, NotFoundError } from '../errors.ts'
import { idKey, type StoreContext } from '../store/context.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { single, type Tx } from '../store/transaction.ts'
import { toNumberOrNull } from '../store/values.ts'
import { LOOKUP, ensureId } from '../tracker/lookup-ids.ts'
import { deriveLocationName, type CanonicalLocation, type LocationType } from './location-path.ts'
import { escapeLike, likeEscaped } from '../store/like-pattern.ts'
import { sha256Hex } from './sha256.ts'

/** A location row as the trackers use it. */
export interface LocationRecord {
  locationId: number
  locationName: string
  locationPath: string
  locationType: LocationType
  bucketName: string | null
  fileCount: number | null
}

/**
 * Locations by id, per store. An entry is trusted only while the store's id cache (`ctx.ids`, which
 * publishes on commit and is cleared by `setup({ overwrite })`) maps the path's hash to that id, so a
 * rolled-back insert or a rebuilt schema never serves a stale location.
 */
const records = new WeakMap<StoreContext, Map<number, LocationRecord>>()

const pathKey = (hash: string) => idKey('location_lkup', `path:${hash}`)

function recordsOf(ctx: StoreContext): Map<number, LocationRecord> {
  let map = records.get(ctx)
  if (!map) {
    map = new Map()
    records.set(ctx, map)
  }
  return map
}

function remember(tx: Tx, hash: string, record: LocationRecord): LocationRecord {
  tx.learn(pathKey(hash), record.locationId)
  recordsOf(tx.ctx).set(record.locationId, record)
  return record
}

/** Updates the remembered file count after a committed change. */
export function rememberFileCount(ctx: StoreContext, locationId: number, fileCount: number): void {
  const record = recordsOf(ctx).get(locationId)
  if (record) recordsOf(ctx).set(locationId, { ...record, fileCount })
}

/** Records how many files a location holds (replacing the previous count), and remembers it. */
export async function setLocationFileCount(ctx: StoreContext, locationId: number, fileCount: number): Promise<void> {
  await single(ctx, async (db) => {
    const result = await db
      .updateTable('location_lkup')
      .set({ location_file_count: fileCount, update_date_time: new Date(), updated_by: ctx.auditUser })
      .where('location_id', '=', locationId)
      .executeTakeFirst()
    // A location cannot be deleted through processtracker, but a rebuilt schema loses it.
    if (Number(result.numUpdatedRows) === 0) await readLocationById(db, locationId)
  })
  rememberFileCount(ctx, locationId, fileCount)
}

/** Locations joined with their type name; `toLocationRecord` maps a row. */
export const selectLocation = (db: Db) =>
  db
    .selectFrom('location_lkup as l')
    .innerJoin('location_type_lkup as t', 't.location_type_id', 'l.location_type_id')
    .select([
      'l.location_id',
      'l.location_name',
      'l.location_path',
      't.location_type_name',
      'l.location_bucket_name',
      'l.location_file_count',
    ])

type LocationRow = Awaited<ReturnType<ReturnType<typeof selectLocation>['executeTakeFirstOrThrow']>>

export function toLocationRecord(row: LocationRow): LocationRecord {
  return {
    locationId: Number(row.location_id),
    locationName: row.location_name,
    locationPath: row.location_path,
    locationType: row.location_type_name === 's3' ? 's3' : 'local filesystem',
    bucketName: row.location_bucket_name,
    fileCount: toNumberOrNull(row.location_file_count),
  }
}

/** A location by id; a missing one is a NotFoundError. */
export async function readLocationById(db: Db, locationId: number): Promise<LocationRecord> {
  const row = await selectLocation(db).where('l.location_id', '=', locationId).executeTakeFirst()
  if (!row) {
    throw new NotFoundError(`There is no location with locationId ${locationId}.`, { topic: 'location', name: locationId })
  }
  return toLocationRecord(row)
}

/** The id of a location by its name, or undefined. */
export async function findLocationIdByName(db: Db, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('location_lkup').select('location_id').where('location_name', '=', name).executeTakeFirst()
  return row ? Number(row.location_id) : undefined
}

/** The id of a location by its canonical path, or undefined; remembered per store once seen. */
export async function findLocationIdByPath(tx: Tx, locationPath: string): Promise<number | undefined> {
  const hash = sha256Hex(locationPath)
  const cached = tx.cached(pathKey(hash))
  if (cached !== undefined) return cached
  const row = await selectLocation(tx.db).where('l.location_path_hash', '=', hash).executeTakeFirst()
  return row ? remember(tx, hash, toLocationRecord(row)).locationId : undefined
}

/** The location at a canonical path as this store remembers it, without a statement; undefined when not seen yet. */
export function rememberedLocation(tx: Tx, location: CanonicalLocation, hash = sha256Hex(location.path)): LocationRecord | undefined {
  const cachedId = tx.cached(pathKey(hash))
  const record = cachedId === undefined ? undefined : recordsOf(tx.ctx).get(cachedId)
  return record?.locationPath === location.path ? record : undefined
}

/**
 * The location at a canonical path, created when missing. Race-free without aborting the
 * transaction: the insert skips a taken path or name (ON CONFLICT DO NOTHING / INSERT IGNORE; on
 * PostgreSQL and MySQL it first waits for a concurrent inserter of the same key to finish) and the
 * re-read by path — a new statement under READ COMMITTED — shows whose row won.
 *
 * - An existing path returns its location; a different `givenName` is ignored.
 * - A given name that another path owns is a ConflictError.
 * - A derived name taken by another path gets ` - N`, the smallest free N ≥ 1; when a concurrent
 *   registration takes the chosen name first, the next free N is tried.
 *
 * A location seen before by this store is served from memory (its file count as last seen) unless
 * `fresh` asks for the row as stored.
 */
export async function resolveLocation(
  tx: Tx,
  location: CanonicalLocation,
  givenName?: string,
  options: { fresh?: boolean } = {},
): Promise<LocationRecord> {
  const hash = sha256Hex(location.path)
  const remembered = options.fresh ? undefined : rememberedLocation(tx, location, hash)
  if (remembered) return remembered
  const readByPath = async () => {
    const row = await selectLocation(tx.db).where('l.location_path_hash', '=', hash).executeTakeFirst()
    return row ? remember(tx, hash, toLocationRecord(row)) : undefined
  }
  const existing = await readByPath()
  if (existing) return existing

  const typeId = await ensureId(tx, LOOKUP.locationType, location.type)
  const insert = (name: string) =>
    tx.ctx.adapter
      .insertIgnoringDuplicates(
        tx.db.insertInto('location_lkup').values({
          location_name: name,
          location_path: location.path,
          location_path_hash: hash,
          location_type_id: typeId,
          location_bucket_name: location.bucket,
          created_by: tx.ctx.auditUser,
          updated_by: tx.ctx.auditUser,
        }),
      )
      .execute()

  if (givenName !== undefined) {
    await insert(givenName)
    const created = await readByPath()
    if (created) return created
    const owner = await tx.db.selectFrom('location_lkup').select('location_path').where('location_name', '=', givenName).executeTakeFirst()
    throw new ConflictError(
      `The location name ${JSON.stringify(givenName)} already belongs to another path${owner ? ` (${owner.location_path})` : ''}. Give another name, or leave locationName out to derive one.`,
      { locationName: givenName, locationPath: location.path, ownerPath: owner?.location_path ?? null },
    )
  }

  const base = deriveLocationName(location)
  // Names tried and refused by the unique index. Usually a concurrent registration took the name
  // between our read and our insert; excluding it also guarantees progress where the database
  // compares differently from JavaScript (MySQL ignores trailing spaces in comparisons).
  const refused = new Set<string>()
  for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
    const taken = await tx.db
      .selectFrom('location_lkup')
      .select('location_name')
      .where((eb) => eb.or([eb('location_name', '=', base), likeEscaped('location_name', `${escapeLike(base)} - %`)]))
      .execute()
    const name = freeName(base, new Set([...refused, ...taken.map((row) => row.location_name)]))
    await insert(name)
    const created = await readByPath()
    if (created) return created
    refused.add(name)
  }
  throw new ConflictError(
    `Could not find a free name for the location ${location.path} after ${MAX_NAME_ATTEMPTS} tries. Give a locationName.`,
    { locationPath: location.path },
  )
}

const MAX_NAME_ATTEMPTS = 50

/** `base` when free, else `base - N` with the smallest free N ≥ 1. */
export function freeName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base
  for (let n = 1; ; n++) {
    const name = `${base} - ${n}`
    if (!taken.has(name)) return name
  }
}
