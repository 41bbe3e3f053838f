import { InvalidStatusError, ValidationError } from '../errors.ts'
import type { ExtractRecord } from '../extract/extract-record.ts'
import { joinFullFilename } from '../extract/extract-record.ts'
import * as writes from '../extract/extract-writes.ts'
import type { AuditType } from '../extract/extract-writes.ts'
import { checkFilename } from '../extract/filename.ts'
import { parseFileSize, type FileSize } from '../extract/file-size.ts'
import { canonicalLocation } from '../extract/location-path.ts'
import type { ValidRegistration } from '../extract/register-extract.ts'
import type { RunRef } from '../extract/run-context.ts'
import { contextOf } from '../store/context.ts'
import { checkCount, checkId, checkOptionalDate, checkOptionalName, checkPlainObject, describe } from '../tracker/validation.ts'
import { LocationTracker } from './location-tracker.ts'
import { ProcessTracker } from './process-tracker.ts'

export type { AuditType } from '../extract/extract-writes.ts'

/** Options of {@link ExtractTracker.register}. */
export interface RegisterExtractOptions {
  /** The file's name in its location (1–1,024 characters, no `/`). */
  filename: string
  /** Where the file is: a local folder, `s3://bucket/prefix`, or an https S3 URL. Or give `location`. */
  locationPath?: string
  /** A registered location, instead of `locationPath`. */
  location?: LocationTracker
  /** Used when the location is registered by this call; derived from the path when absent. */
  locationName?: string
  /** Applied as a status change (with the `loading` rule). A new extract otherwise starts `initializing`. */
  status?: string
  /** A file type's code (`'csv'`) or full name (`'Comma Separated Values'`); derived from the extension when absent. */
  filetype?: string
  /** A compression type (`'zip'`, `'gzip'`, `'bz2'`, `'zstd'`); derived from the extension when absent. */
  compressionType?: string
  /** Bytes as a number, or `'<n>[.<d>] B|KB|MB|GB|TB'`. */
  fileSize?: number | string
}

/**
 * A file one process writes and another reads, tracked through its statuses (`initializing`,
 * `ready`, `loading`, `loaded`, …). Every change goes through the run the tracker was obtained with,
 * is one transaction, and is refused with {@link RunNotActiveError} once that run is over.
 * Properties show the extract as last read or changed through this object.
 *
 * @example
 * ```ts
 * const teams = await ExtractTracker.register(run, { filename: 'Teams.csv', locationPath: '/data/lahman/core/' })
 * await teams.changeExtractStatus('ready')
 * teams.fullFilename // '/data/lahman/core/Teams.csv'
 * teams.filetype     // 'csv'
 * ```
 */
export class ExtractTracker {
  /** The run this tracker's changes are recorded against. */
  readonly run: ProcessTracker
  readonly extractId: number
  readonly filename: string
  readonly location: LocationTracker
  /** The location path and the filename joined by `/`. */
  readonly fullFilename: string
  readonly registrationDateTime: Date
  #record: ExtractRecord

  private constructor(run: ProcessTracker, record: ExtractRecord) {
    this.run = run
    this.extractId = record.extractId
    this.filename = record.filename
    this.location = LocationTracker.fromRecord(run.store, record.location)
    this.fullFilename = joinFullFilename(record.location.locationPath, record.filename)
    this.registrationDateTime = record.registrationDateTime
    this.#record = record
  }

  /**
   * Registers an extract, identified by its location and filename, for a run. An existing one is
   * returned and linked to the run without its status being reset; an explicit `status` is applied
   * as a status change, and explicit attributes overwrite stored ones (derived ones never do).
   *
   * @example
   * ```ts
   * const teams = await ExtractTracker.register(run, {
   *   filename: 'Teams.csv.gz', locationPath: 's3://lahman/core', status: 'ready', fileSize: '2.21MB',
   * })
   * teams.compressionType // 'gzip'
   * teams.fileSize        // { amount: 2.21, unit: 'MB' }
   * ```
   * @throws ValidationError for malformed options; NotFoundError for a file type or compression type
   *   that does not exist; InvalidStatusError for an unknown status; ExtractDependencyError for a
   *   refused `loading`; ConflictError for a location name owned by another path; RunNotActiveError.
   */
  static async register(run: ProcessTracker, options: RegisterExtractOptions): Promise<ExtractTracker> {
    const ref = runRef(run)
    const [record] = await writes.registerExtracts(ref, [validateRegistration(options)])
    return new ExtractTracker(run, record as ExtractRecord)
  }

  /**
   * Registers several extracts for a run in one transaction: all are registered or none is. Each
   * item is what {@link ExtractTracker.register} takes; all are validated before anything is written.
   *
   * @example
   * ```ts
   * const [teams, players] = await ExtractTracker.registerMany(run, [
   *   { filename: 'Teams.csv', locationPath: '/data/lahman/core/' },
   *   { filename: 'Players.csv', locationPath: '/data/lahman/core/' },
   * ])
   * ```
   */
  static async registerMany(run: ProcessTracker, options: readonly RegisterExtractOptions[]): Promise<ExtractTracker[]> {
    const ref = runRef(run)
    if (!Array.isArray(options)) throw new ValidationError(`options must be a list, not ${describe(options)}.`, { field: 'options' })
    const inputs = options.map((item) => validateRegistration(item))
    const records = await writes.registerExtracts(ref, inputs)
    return records.map((record) => new ExtractTracker(run, record))
  }

  /**
   * Reads an extract by id, bound to `run` for later changes. Reads only: nothing is linked or changed.
   *
   * @example
   * ```ts
   * const again = await ExtractTracker.get(run, teams.extractId)
   * ```
   * @throws NotFoundError when there is no such extract.
   */
  static async get(run: ProcessTracker, extractId: number): Promise<ExtractTracker> {
    const ref = runRef(run)
    return new ExtractTracker(run, await writes.readExtract(ref, checkId(extractId, 'extractId')))
  }

  /** @internal Wraps an extract read or written elsewhere (finders, claims, bulk registration). */
  static fromRecord(run: ProcessTracker, record: ExtractRecord): ExtractTracker {
    return new ExtractTracker(run, record)
  }

  get status(): string {
    return this.#record.status
  }

  /** The file type's code (`'csv'`), or null. */
  get filetype(): string | null {
    return this.#record.filetype
  }

  get compressionType(): string | null {
    return this.#record.compressionType
  }

  /** As given: `{ amount: 2.21, unit: 'MB' }`, or null. */
  get fileSize(): FileSize | null {
    return this.#record.fileSize === null ? null : { ...this.#record.fileSize }
  }

  get writeRecordCount(): number | null {
    return this.#record.writeRecordCount
  }

  get loadRecordCount(): number | null {
    return this.#record.loadRecordCount
  }

  get writeLowDateTime(): Date | null {
    return this.#record.writeLowDateTime
  }

  get writeHighDateTime(): Date | null {
    return this.#record.writeHighDateTime
  }

  get loadLowDateTime(): Date | null {
    return this.#record.loadLowDateTime
  }

  get loadHighDateTime(): Date | null {
    return this.#record.loadHighDateTime
  }

  /** @internal Records a status written elsewhere (bulk changes, claims). */
  recordStatus(status: string): void {
    this.#record = { ...this.#record, status }
  }

  /**
   * Moves the extract to a status for the run: the extract's own status becomes it, the change is
   * recorded in its history with the run and the time. `loading` is refused while a parent extract
   * is `initializing`, `ready` or `loading`, and makes the run the extract's claimer (if the run
   * fails, the extract goes back to `ready`).
   *
   * @example
   * ```ts
   * await teams.changeExtractStatus('loading')
   * ```
   * @throws InvalidStatusError "NAME is not a valid extract status type."; ExtractDependencyError;
   *   RunNotActiveError.
   */
  async changeExtractStatus(status: string): Promise<void> {
    if (typeof status !== 'string') throw new InvalidStatusError(`${String(status)} is not a valid extract status type.`, { status })
    await writes.changeExtractStatuses(runRef(this.run), [{ extractId: this.extractId, fullFilename: this.fullFilename }], status, {
      batch: false,
    })
    this.recordStatus(status)
  }

  /**
   * Records a dependency: `'parent'` makes `other` this extract's parent, `'child'` its child. A
   * child cannot move to `loading` while a parent is `initializing`, `ready` or `loading`. Adding a
   * dependency that exists is a no-op.
   *
   * @example
   * ```ts
   * await teams.addDependency('parent', players) // Teams waits for Players
   * ```
   * @throws ValidationError for another type, a self-dependency or a cycle; RunNotActiveError.
   */
  async addDependency(dependencyType: 'parent' | 'child', other: ExtractTracker): Promise<void> {
    const type: unknown = dependencyType
    if (type !== 'parent' && type !== 'child') {
      throw new ValidationError(
        `${typeof type === 'string' ? type : describe(type)} is an invalid extract dependency type. Use 'parent' or 'child'.`,
        {
          field: 'dependencyType',
        },
      )
    }
    if (!(other instanceof ExtractTracker)) {
      throw new ValidationError(`The dependency must be an ExtractTracker, not ${describe(other)}.`, { field: 'dependency' })
    }
    if (other.extractId === this.extractId) {
      throw new ValidationError(`The extract ${this.fullFilename} cannot depend on itself.`, { extractId: this.extractId })
    }
    const [parentId, childId] = type === 'parent' ? [other.extractId, this.extractId] : [this.extractId, other.extractId]
    await writes.addDependency(runRef(this.run), parentId, childId)
  }

  /**
   * Widens the extract's write or load date range: the lowest low and the highest high ever given
   * are kept (an absent or null bound is left alone).
   *
   * @example
   * ```ts
   * await teams.setLowHighDates({ low: new Date('2020-01-01'), high: new Date('2020-02-01'), auditType: 'write' })
   * ```
   * @throws ValidationError for a bad date or audit type; RunNotActiveError.
   */
  async setLowHighDates(dates: { low?: Date | null; high?: Date | null; auditType?: AuditType }): Promise<void> {
    const opts = checkPlainObject(dates, 'dates')
    const low = checkOptionalDate(opts.low, 'low')
    const high = checkOptionalDate(opts.high, 'high')
    const auditType = checkAuditType(opts.auditType)
    const row = await writes.widenExtractDates(runRef(this.run), this.extractId, auditType, low, high)
    this.#record =
      auditType === 'write'
        ? { ...this.#record, writeLowDateTime: row.low, writeHighDateTime: row.high }
        : { ...this.#record, loadLowDateTime: row.low, loadHighDateTime: row.high }
  }

  /**
   * Sets the extract's write or load record count (the last value wins).
   *
   * @example
   * ```ts
   * await teams.setRecordCount(792, { auditType: 'load' })
   * ```
   * @throws ValidationError for a count that is not a whole number ≥ 0 or a bad audit type;
   *   RunNotActiveError.
   */
  async setRecordCount(count: number, options: { auditType?: AuditType } = {}): Promise<void> {
    const value = checkCount(count, 'count')
    const auditType = checkAuditType(checkPlainObject(options, 'options').auditType)
    await writes.setExtractRecordCount(runRef(this.run), this.extractId, auditType, value)
    this.#record = auditType === 'write' ? { ...this.#record, writeRecordCount: value } : { ...this.#record, loadRecordCount: value }
  }
}

function checkAuditType(value: unknown): AuditType {
  if (value === undefined) return 'load'
  if (value !== 'write' && value !== 'load') {
    throw new ValidationError(`${typeof value === 'string' ? value : describe(value)} is not a valid audit type. Use 'write' or 'load'.`, {
      field: 'auditType',
    })
  }
  return value
}

function validateRegistration(options: unknown): ValidRegistration {
  const opts = checkPlainObject(options, 'options')
  const filename = checkFilename(opts.filename)
  const locationName = checkOptionalName(opts.locationName, 'locationName')
  let location: ValidRegistration['location']
  if (opts.location !== undefined) {
    if (!(opts.location instanceof LocationTracker)) {
      throw new ValidationError(`location must be a LocationTracker, not ${describe(opts.location)}.`, { field: 'location' })
    }
    const given = opts.location
    if (opts.locationPath !== undefined && canonicalLocation(opts.locationPath as string).path !== given.locationPath) {
      throw new ValidationError('location and locationPath name different places: give one of them.', { field: 'locationPath' })
    }
    location = {
      record: {
        locationId: given.locationId,
        locationName: given.locationName,
        locationPath: given.locationPath,
        locationType: given.locationType,
        bucketName: given.bucketName,
        fileCount: given.fileCount,
      },
    }
  } else if (opts.locationPath !== undefined) {
    location = { canonical: canonicalLocation(opts.locationPath as string), name: locationName }
  } else {
    throw new ValidationError('A location object or locationPath must be provided.', { field: 'locationPath' })
  }
  if (opts.status !== undefined && typeof opts.status !== 'string') {
    throw new InvalidStatusError(`${describe(opts.status)} is not a valid extract status type.`, { status: opts.status })
  }
  return {
    filename,
    location,
    status: opts.status,
    filetype: checkOptionalName(opts.filetype, 'filetype'),
    compressionType: checkOptionalName(opts.compressionType, 'compressionType'),
    fileSize: opts.fileSize === undefined || opts.fileSize === null ? undefined : parseFileSize(opts.fileSize),
  }
}

/**
 * The run's context and id, after checking that `run` is a ProcessTracker.
 *
 * @throws ValidationError for anything else.
 */
export function runRef(run: unknown): RunRef {
  if (!(run instanceof ProcessTracker)) {
    throw new ValidationError('run must be a ProcessTracker (from ProcessTracker.start or ProcessTracker.resume).', { field: 'run' })
  }
  return { ctx: contextOf(run.store), processTrackingId: run.processTrackingId }
}
