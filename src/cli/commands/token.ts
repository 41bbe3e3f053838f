/** `processtracker token create|list|revoke`: the bearer tokens of the HTTP API. */
import type { Command } from 'commander'
import { createToken, listTokens, revokeToken, SCOPES } from '../../server/token-store.ts'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { UsageError } from '../exit-codes.ts'

const when = (date: Date | null) => (date ? date.toISOString() : '-')

/** Adds `token` to the program. */
export function addTokenCommand(program: Command, act: Act): void {
  const token = program
    .command('token')
    .summary('create, list and revoke the HTTP API’s tokens')
    .description('Tokens let HTTP clients use the tracker without database credentials. Only a SHA-256 hash of each is stored.')
  token
    .command('create')
    .summary('create a token and print it (once)')
    .argument('<name>', 'a unique name, e.g. the team or job that uses it')
    .requiredOption('--scope <scope>', `${SCOPES.join(' | ')}: read ⊂ write (a worker's runs) ⊂ admin`)
    .addHelpText('after', '\nExample:\n  $ processtracker token create etl-workers --scope write')
    .action(
      act(async (context, command) => {
        const [name] = command.processedArgs as [string]
        const { scope } = command.opts<{ scope: string }>()
        if (!(SCOPES as readonly string[]).includes(scope))
          throw new UsageError(`--scope must be one of ${SCOPES.join(', ')}, not ${scope}.`)
        const created = await withStore(context, (store) => createToken(store, name, scope))
        const { output } = context
        if (output.mode.json) output.json({ token: created.token, secret: created.secret })
        else {
          output.result(created.secret)
          output.info(`Token ${created.token.name} (${created.token.scope}) created. This is the only time it is shown: store it now.`)
        }
        return 0
      }),
    )
  token
    .command('list')
    .summary('list tokens (never their secrets)')
    .action(
      act(async (context) => {
        const tokens = await withStore(context, (store) => listTokens(store))
        const { output } = context
        if (output.mode.json) output.json({ tokens })
        else if (tokens.length === 0) output.info('No tokens. Create one with: processtracker token create NAME --scope read|write|admin')
        else {
          output.result(['name', 'scope', 'created', 'last used', 'revoked'].join('\t'))
          for (const t of tokens) output.result([t.name, t.scope, when(t.createdAt), when(t.lastUsedAt), when(t.revokedAt)].join('\t'))
        }
        return 0
      }),
    )
  token
    .command('revoke')
    .summary('revoke a token: every server refuses it within 5 seconds')
    .argument('<name>', 'the token’s name')
    .action(
      act(async (context, command) => {
        const [name] = command.processedArgs as [string]
        await withStore(context, (store) => revokeToken(store, name))
        if (context.output.mode.json) context.output.json({ name, revoked: true })
        else context.output.info(`Token ${name} revoked.`)
        return 0
      }),
    )
}
