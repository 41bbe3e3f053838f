/**
 * Bearer authentication. Tokens are looked up in the database by the SHA-256 of the secret; a token
 * found is trusted for {@link TOKEN_RECHECK_MS} before it is looked up again, so a revocation is
 * seen by every server within that time, and a token never seen is always looked up, so a new token
 * works at once everywhere.
 */
import type { DataStore } from '../api/data-store.ts'
import { HttpError } from './http-errors.ts'
import { findTokenBySecret, hashSecret, scopeAllows, touchToken, type Scope, type TokenIdentity } from './token-store.ts'

/** How long a found token is trusted without asking the database (revocations show within it). */
export const TOKEN_RECHECK_MS = 2_000
/** `last_used_date_time` is written at most this often per token. */
const TOUCH_EVERY_MS = 60_000

/** Who sent a request: a token, or nobody when the server runs with `--no-auth`. */
export interface Caller {
  /** 0 without authentication: idempotency keys are then shared by every caller. */
  tokenId: number
  name: string | null
  scope: Scope
}

const UNAUTHENTICATED_HEADERS = { 'www-authenticate': 'Bearer realm="processtracker"' }

export class Authenticator {
  readonly #store: DataStore
  readonly #enabled: boolean
  readonly #cache = new Map<string, { identity: TokenIdentity; checkedAt: number }>()
  readonly #touched = new Map<number, number>()

  constructor(store: DataStore, enabled: boolean) {
    this.#store = store
    this.#enabled = enabled
  }

  /**
   * The caller of a request holding `authorization`, if its scope allows `needed`.
   *
   * @throws HttpError 401 `PT_UNAUTHENTICATED` (missing, unknown or revoked token), 403 `PT_FORBIDDEN`.
   */
  async authorize(authorization: string | undefined, needed: Scope): Promise<Caller> {
    if (!this.#enabled) return { tokenId: 0, name: null, scope: 'admin' }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    if (!match?.[1]) {
      throw new HttpError(
        401,
        'PT_UNAUTHENTICATED',
        'Send a token as `Authorization: Bearer pt_…`; `processtracker token create` makes one.',
        {},
        UNAUTHENTICATED_HEADERS,
      )
    }
    const identity = await this.#identify(match[1])
    if (!identity) {
      throw new HttpError(
        401,
        'PT_UNAUTHENTICATED',
        'The token is unknown or revoked; ask an administrator for a valid one.',
        {},
        UNAUTHENTICATED_HEADERS,
      )
    }
    if (!scopeAllows(identity.scope, needed)) {
      throw new HttpError(
        403,
        'PT_FORBIDDEN',
        `This needs a token with the ${needed} scope; the token ${identity.name} has ${identity.scope}.`,
        {
          requiredScope: needed,
          tokenScope: identity.scope,
        },
      )
    }
    return { tokenId: identity.tokenId, name: identity.name, scope: identity.scope }
  }

  async #identify(secret: string): Promise<TokenIdentity | null> {
    const key = hashSecret(secret)
    const now = Date.now()
    const cached = this.#cache.get(key)
    if (cached && now - cached.checkedAt < TOKEN_RECHECK_MS) return cached.identity
    const identity = await findTokenBySecret(this.#store, secret)
    if (!identity) {
      this.#cache.delete(key)
      return null
    }
    if (this.#cache.size > 10_000) this.#cache.clear()
    this.#cache.set(key, { identity, checkedAt: now })
    const lastTouch = this.#touched.get(identity.tokenId) ?? identity.lastUsedAt?.getTime() ?? 0
    if (now - lastTouch >= TOUCH_EVERY_MS) {
      this.#touched.set(identity.tokenId, now)
      // Best effort: a failed stamp must not fail the request it belongs to.
      await touchToken(this.#store, identity.tokenId, new Date(now)).catch(() => undefined)
    }
    return identity
  }
}
