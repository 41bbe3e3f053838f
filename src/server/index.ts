/**
 * `processtracker/server`: the HTTP API (http.md) as a fastify instance, plus token administration.
 *
 * @packageDocumentation
 */
export { createServer, BODY_LIMIT, type CreateServerOptions } from './create-server.ts'
export { createToken, listTokens, revokeToken, SCOPES, type Scope, type TokenInfo } from './token-store.ts'
