import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'

/**
 * A real S3-compatible server (s3rver, from npm) on loopback, for the S3 tests: no mock of the SDK.
 * It runs as a child process with its files in a temp folder, one bucket configured.
 */
export interface S3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string
  bucket: string
  /** What the library reads: AWS_ENDPOINT_URL_S3, credentials and region. */
  env: Record<string, string>
  /** A client for putting test objects. */
  client: S3Client
  /** Puts an object (text, or empty). */
  put(key: string, body?: string): Promise<void>
  /** Sets `env` on process.env; returns a function that restores the previous values. */
  useEnv(): () => void
  stop(): Promise<void>
}

const require = createRequire(import.meta.url)
const S3RVER_BIN = join(dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js')
const READY = /S3rver listening on 127\.0\.0\.1:(\d+)/

export async function startS3Server(bucket = 'pt-test-bucket'): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'pt-s3-'))
  // --openssl-legacy-provider: s3rver signs its continuation tokens with a cipher Node 17+ hides.
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', S3RVER_BIN, '-d', dir, '-a', '127.0.0.1', '-p', '0', '-s', '--configure-bucket', bucket],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`s3rver did not start within 15 s: ${stderr}`))
    }, 15_000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = READY.exec(line)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`s3rver exited with ${String(code)}: ${stderr}`))
    })
  })
  // The SDK warns once per process that Node 20 support ends in 2027; that is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const endpoint = `http://127.0.0.1:${port}`
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  }
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // s3rver corrupts streamed uploads that carry the SDK's default trailing checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
  })
  return {
    endpoint,
    bucket,
    env,
    client,
    async put(key, body = '') {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body === '' ? new Uint8Array(0) : Buffer.from(body, 'utf8') }),
      )
    },
    useEnv() {
      const previous = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]))
      Object.assign(process.env, env)
      return () => {
        for (const [key, value] of Object.entries(previous)) {
          if (value === undefined) Reflect.deleteProperty(process.env, key)
          else process.env[key] = value
        }
      }
    },
    async stop() {
      client.destroy()
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
