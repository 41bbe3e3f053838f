import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ValidationError } from '../errors.ts'

/** The two kinds of location processtracker knows (the `location_type_lkup` names). */
export type LocationType = 'local filesystem' | 's3'

/** A location path reduced to the one spelling that identifies it. */
export interface CanonicalLocation {
  /** `/abs/path` (no trailing slash, `/` for the root) or `s3://bucket` / `s3://bucket/prefix`. */
  path: string
  type: LocationType
  /** The S3 bucket, or null for a local folder. */
  bucket: string | null
  /** The S3 key prefix without leading or trailing slashes ('' at the bucket root); null when local. */
  prefix: string | null
}

/** An S3 object address: what `readS3Object` fetches. */
export interface S3ObjectAddress {
  bucket: string
  key: string
}

const MAX_PATH = 2048
const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i
// S3 bucket names: 3–63 characters today; legacy us-east-1 buckets allow up to 255, capitals and '_'.
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/
// Hostnames of AWS S3 endpoints (matched against the parsed hostname, never the whole string):
// s3.amazonaws.com, s3.<region>.amazonaws.com, s3-<region>.amazonaws.com, s3.dualstack.<region>…, and .cn.
const REGION_PART = String.raw`(?:[.-](?:dualstack\.)?[a-z0-9-]+)?`
const PATH_STYLE_HOST = new RegExp(String.raw`^s3${REGION_PART}\.amazonaws\.com(?:\.cn)?$`)
const VIRTUAL_HOST = new RegExp(String.raw`^(.+)\.s3${REGION_PART}\.amazonaws\.com(?:\.cn)?$`)

/** Where S3 requests go when not to AWS: the SDK's own variables, S3-specific first. */
export function s3EndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL
  return value === undefined || value === '' ? undefined : value
}

/**
 * The canonical form of a location path. A local path is made absolute (`~` expanded, `.` and `..`
 * resolved, no trailing slash); `file://` URLs are local paths. An S3 location — `s3://bucket/prefix`,
 * or an `http(s)://` URL of an AWS S3 endpoint in virtual-host or path style, or of the endpoint in
 * `AWS_ENDPOINT_URL_S3` (path style) — becomes `s3://bucket/prefix`. URLs are parsed, never searched
 * for substrings: `/home/users3/x` is a local folder.
 *
 * @example
 * ```ts
 * canonicalLocation('https://lahman.s3.us-east-2.amazonaws.com/core/').path // 's3://lahman/core'
 * canonicalLocation('~/data/').path                                          // '/home/me/data'
 * ```
 * @throws ValidationError for an empty or over-long path, an unsupported URL scheme, an `https` URL
 *   that is not an S3 endpoint, or a malformed bucket name.
 */
export function canonicalLocation(input: string, env: NodeJS.ProcessEnv = process.env, homeDir: string = os.homedir()): CanonicalLocation {
  checkPathText(input)
  const scheme = URL_SCHEME.exec(input)?.[1]?.toLowerCase()
  let result: CanonicalLocation
  if (scheme === undefined) result = localLocation(input, homeDir)
  else if (scheme === 'file') result = localLocation(fileUrlToPath(input), homeDir)
  else {
    const address = parseS3Url(input, env)
    const prefix = trimSlashes(address.key)
    result = {
      path: prefix === '' ? `s3://${address.bucket}` : `s3://${address.bucket}/${prefix}`,
      type: 's3',
      bucket: address.bucket,
      prefix,
    }
  }
  if (Array.from(result.path).length > MAX_PATH) {
    throw new ValidationError(`The location path is longer than ${MAX_PATH} characters once made canonical: ${result.path.slice(0, 80)}…`, {
      field: 'locationPath',
    })
  }
  return result
}

/**
 * Splits an S3 URL into bucket and key, the key exactly as written (no slashes trimmed): `s3://` URIs
 * keep their key verbatim, as the AWS CLI does; `http(s)` URLs are percent-decoded.
 *
 * @example
 * ```ts
 * parseS3Url('s3://configs/pt/process_tracker_config.ini') // { bucket: 'configs', key: 'pt/process_tracker_config.ini' }
 * ```
 * @throws ValidationError when the text is not an S3 URL this library understands.
 */
export function parseS3Url(input: string, env: NodeJS.ProcessEnv = process.env): S3ObjectAddress {
  const scheme = URL_SCHEME.exec(input)?.[1]?.toLowerCase()
  if (scheme === 's3') {
    const rest = input.slice('s3://'.length)
    const slash = rest.indexOf('/')
    const bucket = slash === -1 ? rest : rest.slice(0, slash)
    return { bucket: checkBucket(bucket, input), key: slash === -1 ? '' : rest.slice(slash + 1) }
  }
  if (scheme !== 'http' && scheme !== 'https') {
    throw new ValidationError(
      `${JSON.stringify(input)} is not a location processtracker understands: give a local path, an s3://bucket/prefix URL, or an https URL of an S3 endpoint.`,
      { field: 'locationPath', value: input },
    )
  }
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw new ValidationError(`${JSON.stringify(input)} is not a valid URL. Check its spelling.`, { field: 'locationPath', value: input })
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ValidationError(
      `The S3 URL ${JSON.stringify(input)} has a query, fragment or credentials; give the plain https URL of the bucket or prefix.`,
      { field: 'locationPath', value: input },
    )
  }
  const segments = url.pathname
    .split('/')
    .slice(1)
    .map((segment) => decodeSegment(segment, input))
  const endpoint = s3EndpointFromEnv(env)
  const virtual = VIRTUAL_HOST.exec(url.hostname)
  if (virtual?.[1] !== undefined && !isEndpointOrigin(url, endpoint)) {
    return { bucket: checkBucket(virtual[1], input), key: segments.join('/') }
  }
  if (PATH_STYLE_HOST.test(url.hostname) || isEndpointOrigin(url, endpoint)) {
    const [bucket = '', ...key] = segments
    return { bucket: checkBucket(bucket, input), key: key.join('/') }
  }
  throw new ValidationError(
    `${JSON.stringify(input)} is not an S3 endpoint: use s3://bucket/prefix, an https URL of *.amazonaws.com, or set AWS_ENDPOINT_URL_S3 to your S3-compatible endpoint.`,
    { field: 'locationPath', value: input },
  )
}

/**
 * The name a location gets when none is given, as the Python implementation derives it:
 * `local - <last folder>` or `s3 <bucket> - <last folder>`, where a last segment containing a dot
 * is taken for a file and its parent folder is used instead.
 *
 * @example
 * ```ts
 * deriveLocationName(canonicalLocation('/local/dir/path/text.txt')) // 'local - path'
 * ```
 */
export function deriveLocationName(location: CanonicalLocation): string {
  const segments =
    location.type === 's3'
      ? [location.bucket ?? '', ...(location.prefix ?? '').split('/')].filter((segment) => segment !== '')
      : location.path.split('/').filter((segment) => segment !== '')
  const last = segments.at(-1)
  const folder = last === undefined ? '/' : last.includes('.') && segments.length >= 2 ? (segments.at(-2) ?? last) : last
  const prefix = location.type === 's3' ? `s3 ${location.bucket ?? ''}` : 'local'
  // Names are at most 250 characters; leave room for a ' - N' suffix.
  return Array.from(`${prefix} - ${folder}`).slice(0, 240).join('')
}

function localLocation(input: string, homeDir: string): CanonicalLocation {
  const expanded = input === '~' ? homeDir : input.startsWith('~/') ? path.join(homeDir, input.slice(2)) : input
  return { path: path.resolve(expanded), type: 'local filesystem', bucket: null, prefix: null }
}

function fileUrlToPath(input: string): string {
  try {
    return fileURLToPath(input)
  } catch {
    throw new ValidationError(`${JSON.stringify(input)} is not a valid file:// URL. Give a local path instead.`, {
      field: 'locationPath',
      value: input,
    })
  }
}

function checkPathText(input: unknown): asserts input is string {
  if (typeof input !== 'string') {
    throw new ValidationError(`locationPath must be a string, not ${input === null ? 'null' : typeof input}.`, { field: 'locationPath' })
  }
  const length = Array.from(input).length
  if (length < 1 || length > MAX_PATH) {
    throw new ValidationError(`locationPath must be 1 to ${MAX_PATH} characters long; it has ${length}.`, { field: 'locationPath' })
  }
  if (input.includes('\u0000')) {
    throw new ValidationError('locationPath must not contain a NUL character.', { field: 'locationPath' })
  }
}

function checkBucket(bucket: string, input: string): string {
  if (!BUCKET.test(bucket)) {
    throw new ValidationError(
      `${JSON.stringify(input)} does not name a valid S3 bucket (${JSON.stringify(bucket)}): bucket names are 3 to 255 letters, digits, '.', '-' or '_'.`,
      { field: 'locationPath', value: input },
    )
  }
  return bucket
}

function isEndpointOrigin(url: URL, endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false
  try {
    return new URL(endpoint).origin === url.origin
  } catch {
    return false
  }
}

function decodeSegment(segment: string, input: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new ValidationError(`${JSON.stringify(input)} has a malformed percent-escape. Check the URL.`, {
      field: 'locationPath',
      value: input,
    })
  }
}

function trimSlashes(key: string): string {
  let start = 0
  let end = key.length
  while (start < end && key[start] === '/') start++
  while (end > start && key[end - 1] === '/') end--
  return key.slice(start, end)
}
