/** `processtracker serve`: the HTTP API of http.md on the resolved store, until SIGTERM/SIGINT. */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { Option, type Command } from 'commander'
import pino from 'pino'
import { createServer } from '../../server/create-server.ts'
import type { Act } from '../action.ts'
import { UsageError } from '../exit-codes.ts'

/** In-flight requests get this long to finish after SIGTERM. */
const DRAIN_MS = 10_000

interface ServeOptions {
  host: string
  port: string
  auth: boolean
  corsOrigin?: string[]
  tlsCert?: string
  tlsKey?: string
  metricsPublic?: boolean
}

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts `--no-auth` may listen on. */
export function isLoopback(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
  if (name === 'localhost') return true
  if (isIP(name) === 4) return name.startsWith('127.')
  return name === '::1' || name === '::ffff:127.0.0.1'
}

/** Adds `serve` to the program. */
export function addServeCommand(program: Command, act: Act): void {
  program
    .command('serve')
    .summary('serve the HTTP API (tokens instead of database credentials)')
    .description(
      'Serve the HTTP API on the store, so any language and any machine can start and guard runs with a token. ' +
        'The first line on stdout is "processtracker listening on http://HOST:PORT". SIGTERM or SIGINT stop it gracefully.',
    )
    .addOption(new Option('--host <host>', 'address to listen on').env('PROCESS_TRACKER_SERVER_HOST').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').env('PROCESS_TRACKER_SERVER_PORT').default('8400'))
    .option('--no-auth', 'serve without tokens (loopback hosts only)')
    .option('--cors-origin <url...>', 'an origin allowed to call the API from a browser (repeatable)')
    .option('--tls-cert <file>', 'PEM certificate, to serve HTTPS')
    .option('--tls-key <file>', 'PEM private key, to serve HTTPS')
    .option('--metrics-public', 'serve /metrics without a token')
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker token create etl-workers --scope write
  $ processtracker --url postgres://pt@db/tracker serve --host 0.0.0.0 --port 8400
  $ curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8400/api/v1/runs`,
    )
    .action(
      act(async (context, command) => {
        const options = command.opts<ServeOptions>()
        const port = Number(options.port)
        if (!Number.isInteger(port) || port < 0 || port > 65_535)
          throw new UsageError(`--port must be a port number from 0 to 65535, not ${options.port}.`)
        if (!options.auth && !isLoopback(options.host)) {
          throw new UsageError(
            `--no-auth serves without tokens, so it is refused on ${options.host}: listen on 127.0.0.1, or create tokens (processtracker token create).`,
          )
        }
        if ((options.tlsCert === undefined) !== (options.tlsKey === undefined))
          throw new UsageError('--tls-cert and --tls-key go together.')
        const https =
          options.tlsCert !== undefined && options.tlsKey !== undefined
            ? { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) }
            : undefined
        const { output } = context
        // Lineage (when configured): serve sends the OpenLineage outbox while it runs.
        const store = await context.openStore({ lineage: { dispatch: true } })
        try {
          // Request logs go to stderr, so stdout carries only the listening line (scripts read it).
          const logger = pino(
            { level: context.globals.quiet ? 'warn' : 'info', redact: ['req.headers.authorization', 'password', '*.password'] },
            pino.destination({ dest: 2, sync: false }),
          )
          const app = await createServer({
            store,
            auth: options.auth,
            logger,
            metricsPublic: options.metricsPublic === true,
            ...(options.corsOrigin ? { corsOrigins: options.corsOrigin } : {}),
            ...(https ? { https } : {}),
          })
          if (!options.auth)
            output.warn(
              `processtracker serve: authentication is off (--no-auth); anyone who can reach ${options.host} is an administrator.`,
            )
          await app.listen({ host: options.host, port })
          const address = app.server.address()
          const boundPort = typeof address === 'object' && address ? address.port : port
          const host = options.host.includes(':') ? `[${options.host}]` : options.host
          context.output.result(`processtracker listening on ${https ? 'https' : 'http'}://${host}:${boundPort}`)
          const signal = await new Promise<NodeJS.Signals>((resolve) => {
            process.once('SIGTERM', () => {
              resolve('SIGTERM')
            })
            process.once('SIGINT', () => {
              resolve('SIGINT')
            })
          })
          logger.info({ signal }, 'stopping: finishing requests in flight')
          const drained = app.close()
          const timer = setTimeout(() => {
            app.server.closeAllConnections()
          }, DRAIN_MS)
          await drained
          clearTimeout(timer)
          logger.flush()
        } finally {
          await store.close()
        }
        return 0
      }),
    )
}
