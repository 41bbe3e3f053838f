import { describe, expect, it } from 'vitest'
import { ConfigError, ValidationError } from '../../src/errors.ts'
import { decryptPassword, encryptPassword } from '../../src/config/password.ts'

// Golden values produced by the Python implementation's encrypt/decrypt (utilities.py).
const GOLDEN: [plain: string, cipher: string][] = [
  ['MySecretPassword', 'Encrypted wqfCvsKKwpzCrsOYw4rCvsKBwrHCrMOawr_DlcOZwro='],
  ['p@ss;w#rd=%/:?', 'Encrypted w4rChcKqwqrChsOdwojCvMKVwo1ewpbCgsKl'],
  ['Ünïcødé ÿ', 'Encrypted xLbCs8SmwprFg8OKxY5qxLA='],
  [
    'a'.repeat(50), // longer than the 44-character key, so the key wraps around
    'Encrypted wrvCpsKYwpjCrMOHw4bCq8KSwrHCmsOIwqnDh8OIwrfDm8OUwrvCqsOCw4LDh8Obw5DCu8K5wqbDlsOYwqzCqsKYw5jCpcOGwpXDhMKSwqfCmcKiwrrCnsK7wqbCmMKYwqzDhw==',
  ],
  ['', 'Encrypted '],
]

describe('encryptPassword / decryptPassword', () => {
  it.each(GOLDEN)('encrypts %j exactly as Python does', (plain, cipher) => {
    expect(encryptPassword(plain)).toBe(cipher)
  })

  it.each(GOLDEN)("decrypts Python's value for %j", (plain, cipher) => {
    expect(decryptPassword(cipher)).toBe(plain)
  })

  it('round-trips every Latin-1 character', () => {
    const latin1 = Array.from({ length: 256 }, (_, code) => String.fromCharCode(code)).join('')
    const cipher = encryptPassword(latin1)
    expect(cipher.startsWith('Encrypted ')).toBe(true)
    expect(decryptPassword(cipher)).toBe(latin1)
  })

  it('indexes by code point like Python, so characters above U+00FF come back mod 256', () => {
    expect(encryptPassword('€uro')).toBe('Encrypted 4oSGwrrCqcKm')
    expect(decryptPassword('Encrypted 4oSGwrrCqcKm')).toBe('¬uro')
    // An astral character is one Python index, not two UTF-16 units.
    expect(encryptPassword('😀x')).toBe('Encrypted 8J-ZmsK9')
    expect(decryptPassword('Encrypted 8J-ZmsK9')).toBe('\u0000x')
  })

  it('accepts a value without the prefix and the standard base64 alphabet, as Python does', () => {
    expect(decryptPassword('wqfCvsKKwpzCrsOYw4rCvsKBwrHCrMOawr_DlcOZwro=')).toBe('MySecretPassword')
    expect(decryptPassword('Encrypted wqfCvsKKwpzCrsOYw4rCvsKBwrHCrMOawr/DlcOZwro=')).toBe('MySecretPassword')
  })

  it.each([
    ['not base64 characters', 'Encrypted abc$def'],
    ['missing padding', 'Encrypted wqfCvsKKwpzCrsOYw4rCvsKBwrHCrMOawr_DlcOZwro'],
    ['bytes that are not UTF-8', 'Encrypted //79'],
  ])('rejects %s with a ConfigError that does not echo the value', (_, cipher) => {
    expect(() => decryptPassword(cipher)).toThrow(ConfigError)
    try {
      decryptPassword(cipher)
    } catch (error) {
      expect((error as Error).message).not.toContain(cipher.slice('Encrypted '.length))
      expect((error as ConfigError).code).toBe('PT_CONFIG')
    }
  })

  it('refuses characters Python could not encode either', () => {
    expect(() => encryptPassword('\uD800')).toThrow(ValidationError) // a lone surrogate
    expect(() => encryptPassword('\u{10FFFF}')).toThrow(ValidationError) // shifted past U+10FFFF
  })
})
