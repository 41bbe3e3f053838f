/**
 * The Python ProcessTracker's password "encryption", kept byte-compatible so `Encrypted …` values in
 * existing config files keep working. It is reversible obfuscation with a key everyone has, NOT
 * encryption: it only keeps a password from being read at a glance.
 *
 * Python: each code point is shifted up by the key's code point at the same index (no modulo), the
 * result is UTF-8 encoded and written as URL-safe base64 with `=` padding after `Encrypted `;
 * decoding shifts back modulo 256. So only characters up to U+00FF survive a round trip (`€`
 * comes back as `¬`), exactly as in Python.
 *
 * @example
 * ```ts
 * encryptPassword('MySecretPassword') // 'Encrypted wqfCvsKKwpzCrsOYw4rCvsKBwrHCrMOawr_DlcOZwro='
 * decryptPassword('Encrypted wqfCvsKKwpzCrsOYw4rCvsKBwrHCrMOawr_DlcOZwro=') // 'MySecretPassword'
 * ```
 */
import { ConfigError, ValidationError } from '../errors.ts'

const KEY = 'ZE77KfeJ1P9gHfgVzsZIaafzoZXEuwKI7wDe4c1F8AY='
/** What every encrypted value starts with. */
export const ENCRYPTED_PREFIX = 'Encrypted '
// URL-safe alphabet as written by Python; Python's decoder also takes the standard `+` and `/`.
const BASE64 = /^[A-Za-z0-9_+/-]*={0,2}$/
// ignoreBOM keeps a leading U+FEFF, as Python's utf-8 codec does.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function keyAt(index: number): number {
  return KEY.charCodeAt(index % KEY.length)
}

function isSurrogate(codePoint: number): boolean {
  return codePoint >= 0xd800 && codePoint <= 0xdfff
}

/**
 * Obfuscates a password the way the Python implementation does.
 *
 * @returns `Encrypted ` followed by URL-safe base64 with padding.
 * @throws ValidationError when the password has a character Python could not encode either (a lone
 *   surrogate, or one that the shift pushes into the surrogate range or past U+10FFFF).
 */
export function encryptPassword(plain: string): string {
  let shifted = ''
  let index = 0
  // for…of walks code points, as Python indexes str; UTF-16 units would shift astral characters wrong.
  for (const character of plain) {
    const codePoint = character.codePointAt(0) ?? 0
    const moved = codePoint + keyAt(index)
    if (isSurrogate(codePoint) || isSurrogate(moved) || moved > 0x10ffff) {
      throw new ValidationError(`The password cannot be encrypted: character ${index + 1} cannot be encoded.`)
    }
    shifted += String.fromCodePoint(moved)
    index += 1
  }
  // Node's 'base64url' drops the `=` padding that Python keeps, so translate the standard alphabet.
  const encoded = Buffer.from(shifted, 'utf8').toString('base64').replaceAll('+', '-').replaceAll('/', '_')
  return ENCRYPTED_PREFIX + encoded
}

/**
 * Recovers a password written by {@link encryptPassword} or by the Python implementation. The
 * `Encrypted ` prefix is optional, as in Python.
 *
 * @throws ConfigError when the value is not valid padded base64 of UTF-8 text. The message never
 *   contains the value.
 */
export function decryptPassword(cipher: string): string {
  const body = (cipher.startsWith(ENCRYPTED_PREFIX) ? cipher.slice(ENCRYPTED_PREFIX.length) : cipher).trim()
  if (!BASE64.test(body) || body.length % 4 !== 0) {
    throw new ConfigError(
      'The encrypted password is not valid: expected "Encrypted " followed by URL-safe base64 with "=" padding. ' +
        'Create it again with `processtracker encrypt --password …`.',
    )
  }
  let shifted: string
  try {
    shifted = utf8.decode(Buffer.from(body.replaceAll('-', '+').replaceAll('_', '/'), 'base64'))
  } catch {
    throw new ConfigError(
      'The encrypted password is not valid: its base64 does not decode to UTF-8 text. ' +
        'Create it again with `processtracker encrypt --password …`.',
    )
  }
  let plain = ''
  let index = 0
  for (const character of shifted) {
    plain += String.fromCodePoint((256 + (character.codePointAt(0) ?? 0) - keyAt(index)) % 256)
    index += 1
  }
  return plain
}
