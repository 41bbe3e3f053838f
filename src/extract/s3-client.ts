import type { S3Client } from '@aws-sdk/client-s3'
import { ConfigError, NotFoundError, ValidationError, type ProcessTrackerError } from '../errors.ts'
import { loadDriver } from '../store/load-driver.ts'
import { parseS3Url, s3EndpointFromEnv } from './location-path.ts'

type S3Sdk = typeof import('@aws-sdk/client-s3')

let sdk: Promise<S3Sdk> | undefined
const clients = new Map<string, Promise<S3Client>>()

/**
 * The AWS SDK, loaded on first use: programs that never touch S3 never pay for loading it. It is an
 * optional peer package: without it, S3 locations fail with a ConfigError that says what to install.
 */
function loadSdk(): Promise<S3Sdk> {
  sdk ??= loadDriver('@aws-sdk/client-s3', () => import('@aws-sdk/client-s3')).catch((error: unknown) => {
    sdk = undefined
    throw error
  })
  return sdk
}

/**
 * An S3 client configured the standard AWS way (credentials, profile and region from the
 * environment and ~/.aws). With `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) set — an
 * S3-compatible server such as MinIO — requests use path-style addressing, which such servers
 * expect. One client per distinct configuration, reused.
 */
async function s3Client(env: NodeJS.ProcessEnv = process.env): Promise<S3Client> {
  const endpoint = s3EndpointFromEnv(env)
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION
  const key = JSON.stringify([endpoint ?? null, region ?? null, env.AWS_ACCESS_KEY_ID ?? null, env.AWS_PROFILE ?? null])
  let client = clients.get(key)
  if (!client) {
    client = loadSdk().then(
      ({ S3Client: Client }) =>
        new Client({
          ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
          // A custom endpoint still needs a region to sign with; AWS itself has no default.
          ...(region !== undefined ? { region } : endpoint !== undefined ? { region: 'us-east-1' } : {}),
          // Only list and get are sent, and S3-compatible servers differ in checksum support.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          followRegionRedirects: true,
        }),
    )
    clients.set(key, client)
  }
  return client
}

/**
 * The names of the files directly under an S3 prefix: the objects listed with delimiter `/`, in
 * key order, without the prefix, keys ending in `/` (folder markers) skipped. Pages through
 * ListObjectsV2 until the listing is complete.
 *
 * @example
 * ```ts
 * await listS3Filenames('lahman', 'core') // ['People.csv', 'Teams.csv']
 * ```
 * @throws NotFoundError when the bucket does not exist; ConfigError when S3 cannot be reached or
 *   refuses the credentials.
 */
export async function listS3Filenames(bucket: string, prefix: string): Promise<string[]> {
  return (await listS3Files(bucket, prefix)).map((file) => file.name)
}

/** A file under an S3 prefix, with what tells one delivery of it from the next. */
export interface S3File {
  name: string
  size: number | null
  lastModified: Date | null
  etag: string | null
}

/** {@link listS3Filenames} with each object's size, LastModified and ETag (from the same listing). */
export async function listS3Files(bucket: string, prefix: string): Promise<S3File[]> {
  const [{ ListObjectsV2Command }, client] = await Promise.all([loadSdk(), s3Client()])
  const keyPrefix = prefix === '' ? '' : `${prefix}/`
  const names: S3File[] = []
  let token: string | undefined
  do {
    let page
    try {
      page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Delimiter: '/',
          ...(keyPrefix === '' ? {} : { Prefix: keyPrefix }),
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      )
    } catch (error) {
      throw s3Error(error, `s3://${bucket}/${keyPrefix}`)
    }
    for (const object of page.Contents ?? []) {
      const key = object.Key
      if (key === undefined || key.endsWith('/') || !key.startsWith(keyPrefix)) continue
      const name = key.slice(keyPrefix.length)
      if (name !== '') {
        names.push({ name, size: object.Size ?? null, lastModified: object.LastModified ?? null, etag: object.ETag ?? null })
      }
    }
    // Some servers report a truncated page without a token; stop rather than loop forever.
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token !== undefined)
  return names
}

/**
 * Reads an S3 object as UTF-8 text: what `DataStore.open({ configLocation: 's3://bucket/key.ini' })`
 * uses to read its config file. Takes `s3://bucket/key` or an https URL of an S3 endpoint.
 *
 * @example
 * ```ts
 * const ini = await readS3Object('s3://configs/pt/process_tracker_config.ini')
 * ```
 * @throws ValidationError for a URL that names no object; NotFoundError when the bucket or key does
 *   not exist; ConfigError when S3 cannot be reached or refuses the credentials.
 */
export async function readS3Object(s3Url: string): Promise<string> {
  if (typeof s3Url !== 'string') throw new ValidationError('s3Url must be a string like s3://bucket/key.', { field: 's3Url' })
  const { bucket, key } = parseS3Url(s3Url)
  if (key === '' || key.endsWith('/')) {
    throw new ValidationError(`${s3Url} names a bucket or folder, not an object: give s3://bucket/key.`, { field: 's3Url' })
  }
  const [{ GetObjectCommand }, client] = await Promise.all([loadSdk(), s3Client()])
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    if (!response.Body) return ''
    return await response.Body.transformToString('utf-8')
  } catch (error) {
    throw s3Error(error, `s3://${bucket}/${key}`)
  }
}

/** An SDK failure as a processtracker error that says what to check. */
function s3Error(error: unknown, url: string): ProcessTrackerError {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown
    message?: unknown
    $metadata?: { httpStatusCode?: unknown }
  }
  const name = typeof fields.name === 'string' ? fields.name : 'Error'
  const message = typeof fields.message === 'string' && fields.message !== '' ? fields.message : name
  const status = fields.$metadata?.httpStatusCode
  if (name === 'NoSuchBucket' || name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new NotFoundError(`${url} does not exist (${message}). Check the bucket and key.`, { topic: 's3 object', name: url })
  }
  return new ConfigError(
    `Cannot read ${url} (${message}). Check the AWS credentials and region, and AWS_ENDPOINT_URL_S3 for an S3-compatible server.`,
    { url },
    { cause: error },
  )
}
