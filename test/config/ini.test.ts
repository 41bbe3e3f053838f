import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.ts'
import { getDefault, parseIni } from '../../src/config/ini.ts'

/** The error a parse throws, so tests can check its class, message and line. */
function parseError(text: string): ConfigError {
  try {
    parseIni(text, 'test.ini')
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected parseIni to throw')
}

// Expected values below were checked against Python 3.11's ConfigParser(allow_no_value=True).
describe('parseIni', () => {
  it('reads `=` and `:` separators, the first one splitting key from value', () => {
    const doc = parseIni('[DEFAULT]\nkey = value\nK2: v2\nurl = a:b=c\nother : =x\n')
    expect({ ...doc.defaults }).toEqual({ key: 'value', k2: 'v2', url: 'a:b=c', other: '=x' })
  })

  it('skips full-line # and ; comments, even indented, but keeps inline ones in values', () => {
    const doc = parseIni('[DEFAULT]\n# a comment\n; another\n   ; indented\ndata_store_password = p@ss=w;rd#1\nx = 1 # not a comment\n')
    expect({ ...doc.defaults }).toEqual({ data_store_password: 'p@ss=w;rd#1', x: '1 # not a comment' })
  })

  it('lower-cases keys, keeps section names as written, and trims values', () => {
    const doc = parseIni('[DEFAULT]\n   Data_Store_TYPE   =   postgresql   \n[MySection]\nKey=V\n')
    expect(getDefault(doc, 'data_store_type')).toBe('postgresql')
    expect(getDefault(doc, 'DATA_STORE_TYPE')).toBe('postgresql')
    expect(doc.sections['MySection']?.['key']).toBe('V')
    expect(doc.sections['mysection']).toBeUndefined()
  })

  it('keeps `None`, quotes and numbers as plain strings (no coercion)', () => {
    const doc = parseIni('[DEFAULT]\na = None\nb = "a b"\nc = 5\nd = true\n')
    expect({ ...doc.defaults }).toEqual({ a: 'None', b: '"a b"', c: '5', d: 'true' })
  })

  it('gives null for a key without a value and "" for a key with an empty value', () => {
    const doc = parseIni('[DEFAULT]\nflag\nempty =\n')
    expect(getDefault(doc, 'flag')).toBeNull()
    expect(getDefault(doc, 'empty')).toBe('')
    expect(getDefault(doc, 'absent')).toBeUndefined()
  })

  it('lets every section inherit [DEFAULT], wherever [DEFAULT] appears', () => {
    const doc = parseIni('[DEFAULT]\nx = 1\n[s]\nx = 2\ny = 3\n[t]\nz = 4\n[DEFAULT]\nw = 5\n')
    expect({ ...doc.defaults }).toEqual({ x: '1', w: '5' })
    expect({ ...doc.sections['s'] }).toEqual({ x: '2', y: '3', w: '5' })
    expect({ ...doc.sections['t'] }).toEqual({ x: '1', z: '4', w: '5' })
  })

  it('joins indented continuation lines with newlines, keeping inner blank lines and dropping trailing ones', () => {
    const doc = parseIni('[DEFAULT]\na = 1\n  b\n\n  c\n\n\nd = 2\n')
    expect(getDefault(doc, 'a')).toBe('1\nb\n\nc')
    expect(getDefault(doc, 'd')).toBe('2')
  })

  it('skips comment lines inside a continued value and treats an indented [header] as a continuation', () => {
    expect(getDefault(parseIni('[DEFAULT]\na = 1\n  # c\n  b\n'), 'a')).toBe('1\nb')
    const doc = parseIni('[DEFAULT]\na = 1\n [s]\n')
    expect(getDefault(doc, 'a')).toBe('1\n[s]')
    expect(doc.sections['s']).toBeUndefined()
  })

  it('accepts CRLF and CR line ends and a BOM', () => {
    const doc = parseIni('\uFEFF[DEFAULT]\r\nx = 1\r\n  more\r\n[s]\ry=2\r')
    expect(getDefault(doc, 'x')).toBe('1\nmore')
    expect(doc.sections['s']?.['y']).toBe('2')
  })

  it('treats % literally (no interpolation)', () => {
    const doc = parseIni('[DEFAULT]\npw = 100%sure%%\nref = %(pw)s\n')
    expect(getDefault(doc, 'pw')).toBe('100%sure%%')
    expect(getDefault(doc, 'ref')).toBe('%(pw)s')
  })

  it('reads section headers the way configparser does ([] is a key, [a]b] is section "a]b")', () => {
    const doc = parseIni('[DEFAULT]\n[]\n[a]b]\nq=1\n')
    expect(getDefault(doc, '[]')).toBeNull()
    expect(doc.sections['a]b']?.['q']).toBe('1')
  })

  it('does not expose Object.prototype members as keys', () => {
    const doc = parseIni('[DEFAULT]\nx = 1\n[s]\n')
    expect(getDefault(doc, 'constructor')).toBeUndefined()
    expect(Object.getPrototypeOf(doc.sections['s'])).toBeNull()
    expect('toString' in (doc.sections['s'] ?? {})).toBe(false)
  })

  it('rejects a key before any section header, naming the line', () => {
    const error = parseError('\n# comment\ndata_store_password = secret\n[DEFAULT]\n')
    expect(error.message).toContain('line 3')
    expect(error.message).toContain('test.ini')
    expect(error.message).not.toContain('secret') // the line itself may hold a password
    expect(error.details).toMatchObject({ line: 3 })
  })

  it('rejects a line with an empty key', () => {
    expect(parseError('[DEFAULT]\n= x\n').message).toContain('line 2')
  })

  it('rejects a continuation of a key that has no value', () => {
    expect(parseError('[DEFAULT]\nflag\n  more\n').message).toMatch(/line 3.*"flag"/)
  })

  it('rejects duplicate keys (case-insensitively) and duplicate sections', () => {
    expect(parseError('[DEFAULT]\na=1\nA=2\n').message).toMatch(/line 3.*"a" appears twice/)
    expect(parseError('[s]\n[s]\n').message).toMatch(/line 2.*\[s\] appears twice/)
  })
})
