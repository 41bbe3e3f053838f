import { canonicalLocation, type LocationType } from '../extract/location-path.ts'
import { readLocationById, resolveLocation, setLocationFileCount, type LocationRecord } from '../extract/location-store.ts'
import { contextOf } from '../store/context.ts'
import { single, transaction } from '../store/transaction.ts'
import { checkCount, checkId, checkOptionalName, checkPlainObject } from '../tracker/validation.ts'
import type { DataStore } from './data-store.ts'

/** Options of {@link LocationTracker.register}. */
export interface RegisterLocationOptions {
  /** A local folder (`~` expanded), `s3://bucket/prefix`, or an https URL of an S3 endpoint. */
  locationPath: string
  /** Derived from the path when absent: `local - <folder>` or `s3 <bucket> - <folder>`. */
  locationName?: string
}

/**
 * A place extracts live: a local folder or an S3 prefix, identified by its canonical path (see
 * {@link canonicalLocation}).
 *
 * @example
 * ```ts
 * const loc = await LocationTracker.register(store, { locationPath: 's3://lahman-data/core/' })
 * loc.locationName // 's3 lahman-data - core'
 * loc.locationPath // 's3://lahman-data/core'
 * await loc.setFileCount(12)
 * ```
 */
export class LocationTracker {
  readonly store: DataStore
  readonly locationId: number
  readonly locationName: string
  /** The canonical path: absolute local path, or `s3://bucket/prefix`. */
  readonly locationPath: string
  readonly locationType: LocationType
  /** The bucket of an S3 location, else null. */
  readonly bucketName: string | null
  #fileCount: number | null

  private constructor(store: DataStore, record: LocationRecord) {
    this.store = store
    this.locationId = record.locationId
    this.locationName = record.locationName
    this.locationPath = record.locationPath
    this.locationType = record.locationType
    this.bucketName = record.bucketName
    this.#fileCount = record.fileCount
  }

  /**
   * Registers a location, or returns the one at the same canonical path (a different name given is
   * then ignored). Without a name, one is derived; when another path has it, ` - N` is appended
   * with the smallest free N ≥ 1. Safe when many processes register at once.
   *
   * @example
   * ```ts
   * const a = await LocationTracker.register(store, { locationPath: '/data/a/test_dir' }) // 'local - test_dir'
   * const b = await LocationTracker.register(store, { locationPath: '/data/b/test_dir' }) // 'local - test_dir - 1'
   * ```
   * @throws ValidationError for a malformed path or name; ConflictError when the given name belongs
   *   to another path.
   */
  static async register(store: DataStore, options: RegisterLocationOptions): Promise<LocationTracker> {
    const ctx = contextOf(store)
    const opts = checkPlainObject(options, 'options')
    const canonical = canonicalLocation(opts.locationPath as string)
    const name = checkOptionalName(opts.locationName, 'locationName')
    const record = await transaction(ctx, (tx) => resolveLocation(tx, canonical, name, { fresh: true }))
    return new LocationTracker(store, record)
  }

  /**
   * A location by id (what an extract row points at).
   *
   * @example
   * ```ts
   * const again = await LocationTracker.get(store, loc.locationId)
   * ```
   * @throws NotFoundError when there is no such location.
   */
  static async get(store: DataStore, locationId: number): Promise<LocationTracker> {
    const ctx = contextOf(store)
    const id = checkId(locationId, 'locationId')
    const record = await single(ctx, (db) => readLocationById(db, id))
    return new LocationTracker(store, record)
  }

  /** @internal Wraps a location row read elsewhere. */
  static fromRecord(store: DataStore, record: LocationRecord): LocationTracker {
    return new LocationTracker(store, record)
  }

  /** The number of files last recorded for the location (null when never counted). */
  get fileCount(): number | null {
    return this.#fileCount
  }

  /**
   * Records how many files the location holds (replacing the previous count).
   *
   * @example
   * ```ts
   * await loc.setFileCount(123)
   * ```
   * @throws ValidationError unless `count` is a whole number ≥ 0.
   */
  async setFileCount(count: number): Promise<void> {
    const value = checkCount(count, 'count')
    await setLocationFileCount(contextOf(this.store), this.locationId, value)
    this.#fileCount = value
  }
}
