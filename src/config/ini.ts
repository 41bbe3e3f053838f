/**
 * A reader for `process_tracker_config.ini` that follows Python's
 * `configparser.ConfigParser(allow_no_value=True)` rules, so a file written for the Python
 * ProcessTracker means exactly the same thing here. The npm `ini` package differs on points that
 * matter for passwords (it strips inline `;`/`#` comments and ignores `:`), hence this reader.
 *
 * Rules kept from configparser:
 * - `key = value` and `key: value`; the first `=` or `:` on the line splits key from value.
 * - Only full-line comments (`#` or `;` after optional indentation). `p@ss=w;rd#1` stays intact.
 * - Keys are lower-cased; section names are case-sensitive; values are trimmed and never coerced.
 * - `[DEFAULT]` is inherited by every other section.
 * - An indented line continues the previous value (joined with a newline); blank lines inside a
 *   continued value are kept, trailing ones dropped; comment lines inside it are skipped.
 * - A key without `=`/`:` has the value `null`.
 * - Duplicate sections and duplicate keys in a section are errors (configparser's `strict=True`).
 *
 * One deliberate difference: no `%` interpolation. configparser's BasicInterpolation raises on a
 * lone `%` (a common character in passwords) and turns `%%` into `%`; here every `%` is literal,
 * so `%%` stays two characters.
 *
 * @example
 * ```ts
 * const doc = parseIni('[DEFAULT]\ndata_store_password = p@ss=w;rd#1\n')
 * getDefault(doc, 'DATA_STORE_PASSWORD') // 'p@ss=w;rd#1'
 * ```
 */
import { ConfigError } from '../errors.ts'

/** One section: lower-cased keys to values; `null` is a key written without a value. */
export type IniSection = Record<string, string | null>

/** A parsed ini file. Both records have no prototype, so a key such as `constructor` is never inherited. */
export interface IniDocument {
  /** The `[DEFAULT]` section. */
  readonly defaults: IniSection
  /** Every other section by its exact name, with the `[DEFAULT]` keys it does not set itself merged in. */
  readonly sections: Record<string, IniSection>
}

const DEFAULT_SECTION = 'DEFAULT'
// configparser's SECTCRE, matched at the start of the stripped line: greedy, so `[a]b]` is `a]b`,
// and text after the last `]` is ignored.
const SECTION_HEADER = /^\[(.+)\]/
// configparser's OPTCRE_NV: the lazy key stops at the first `=` or `:`; the delimiter is optional.
const OPTION = /^(.*?)\s*(?:([=:])\s*(.*))?$/

/** Values while reading: continuation lines are collected and joined at the end, like configparser. */
type PendingSection = Map<string, string[] | null>

function fail(source: string, lineNumber: number, reason: string): ConfigError {
  // The offending line itself is left out on purpose: it may hold a password.
  return new ConfigError(`Invalid ini file ${source}, line ${lineNumber}: ${reason}`, { source, line: lineNumber })
}

function finish(pending: PendingSection): IniSection {
  const section = Object.create(null) as IniSection
  for (const [key, lines] of pending) section[key] = lines === null ? null : lines.join('\n').trimEnd()
  return section
}

/**
 * Parses ini text with configparser's rules (see the module comment).
 *
 * @param text the file's content; LF, CRLF and CR line ends and a leading BOM are accepted.
 * @param source a name for the text (the file path) used in error messages.
 * @throws ConfigError naming the line: a key before any section header, a line with an empty key,
 *   a continuation of a key that has no value, or a duplicate section or key.
 */
export function parseIni(text: string, source = 'text'): IniDocument {
  const defaults: PendingSection = new Map()
  const sections = new Map<string, PendingSection>()
  const seen = new Set<string>() // sections and section+key pairs, for the duplicate checks
  let current: PendingSection | null = null
  let sectionName = ''
  let optionName: string | null = null
  let indentLevel = 0

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  for (const [index, line] of lines.entries()) {
    const lineNumber = index + 1
    const value = line.trim()
    const isComment = value.startsWith('#') || value.startsWith(';')
    if (value === '' || isComment) {
      // A blank line may belong to a continued value (configparser's empty_lines_in_values);
      // a comment line never does, and neither ends the value.
      const values = current !== null && optionName !== null ? current.get(optionName) : undefined
      if (!isComment && values) values.push('')
      continue
    }

    const indent = line.search(/\S/)
    if (current !== null && optionName !== null && indent > indentLevel) {
      const values = current.get(optionName)
      if (!values) throw fail(source, lineNumber, `an indented line continues the key "${optionName}", which has no value`)
      values.push(value)
      continue
    }
    indentLevel = indent

    const header = SECTION_HEADER.exec(value)
    if (header) {
      sectionName = header[1] ?? ''
      optionName = null
      if (sectionName === DEFAULT_SECTION) {
        current = defaults // configparser allows [DEFAULT] more than once
        continue
      }
      if (seen.has(sectionName)) throw fail(source, lineNumber, `the section [${sectionName}] appears twice`)
      seen.add(sectionName)
      current = new Map()
      sections.set(sectionName, current)
      continue
    }
    if (current === null) {
      throw fail(source, lineNumber, 'a key comes before any section header; start the file with [DEFAULT]')
    }

    const option = OPTION.exec(value)
    const key = (option?.[1] ?? '').trimEnd().toLowerCase()
    if (key === '') throw fail(source, lineNumber, `the line has no key before "${option?.[2] ?? '='}"`)
    const seenKey = `${sectionName}\u0000${key}`
    if (seen.has(seenKey)) throw fail(source, lineNumber, `the key "${key}" appears twice in [${sectionName}]`)
    seen.add(seenKey)
    current.set(key, option?.[2] === undefined ? null : [(option[3] ?? '').trim()])
    optionName = key
  }

  const finishedDefaults = finish(defaults)
  const finishedSections = Object.create(null) as Record<string, IniSection>
  for (const [name, pending] of sections) {
    finishedSections[name] = Object.assign(Object.create(null) as IniSection, finishedDefaults, finish(pending))
  }
  return { defaults: finishedDefaults, sections: finishedSections }
}

/**
 * A `[DEFAULT]` value: a string, `null` for a key written without a value, `undefined` when absent.
 * The key is matched case-insensitively, as configparser does.
 */
export function getDefault(doc: IniDocument, key: string): string | null | undefined {
  const normalized = key.toLowerCase()
  return Object.hasOwn(doc.defaults, normalized) ? doc.defaults[normalized] : undefined
}
