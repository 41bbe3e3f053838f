// Pins the README's "### Errors" table to the error classes the package exports and the codes they
// carry: a class or code added, renamed or removed on one side only fails here.
import { readFileSync } from 'node:fs'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import * as pkg from '../../src/index.ts'

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const ERRORS_SOURCE = fileText('../../src/errors.ts')

function fileText(relative: string): string {
  return readFileSync(new URL(relative, import.meta.url), 'utf8')
}

/** The rows of the table under "### Errors": each row's classes and codes, in the order written. */
function readmeRows(): { classes: string[]; codes: string[] }[] {
  const section = /^### Errors\n([\s\S]*?)(?=^#)/m.exec(README)?.[1]
  if (section === undefined) throw new Error('README.md has no "### Errors" section')
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [classCell = '', codeCell = ''] = line.split(' | ')
      return {
        classes: [...classCell.matchAll(/`(\w+Error)`/g)].map((match) => match[1] ?? ''),
        codes: [...codeCell.matchAll(/`(PT_\w+)`/g)].map((match) => match[1] ?? ''),
      }
    })
}

/** The string literals of the exported `ErrorCode` union in src/errors.ts. */
function errorCodeUnion(): string[] {
  const source = ts.createSourceFile('errors.ts', ERRORS_SOURCE, ts.ScriptTarget.Latest)
  const alias = source.statements.find((statement) => ts.isTypeAliasDeclaration(statement) && statement.name.text === 'ErrorCode')
  if (!alias || !ts.isTypeAliasDeclaration(alias) || !ts.isUnionTypeNode(alias.type)) throw new Error('no ErrorCode union in src/errors.ts')
  return alias.type.types.map((member) => {
    if (!ts.isLiteralTypeNode(member) || !ts.isStringLiteral(member.literal)) throw new Error('ErrorCode has a member that is not a string')
    return member.literal.text
  })
}

type ErrorClass = new (...args: never[]) => pkg.ProcessTrackerError

/** Every class the package exports that extends ProcessTrackerError (the base itself aside). */
const exportedClasses = new Map<string, ErrorClass>()
for (const [name, value] of Object.entries(pkg) as [string, unknown][]) {
  if (typeof value === 'function' && value.prototype instanceof pkg.ProcessTrackerError) exportedClasses.set(name, value as ErrorClass)
}

/** The code an instance carries; constructors differ, but none validates its arguments. */
function codeOf(errorClass: ErrorClass, options?: { code: string }): string {
  const args = options ? ['message', {}, options] : ['message', {}]
  return (Reflect.construct(errorClass, args) as pkg.ProcessTrackerError).code
}

describe('README "### Errors" table', () => {
  const rows = readmeRows()
  const documented = new Map<string, string[]>()
  for (const row of rows) {
    // One class with several codes, or several classes with one code each, in the same order.
    row.classes.forEach((name, index) => documented.set(name, row.classes.length === 1 ? row.codes : [row.codes[index] ?? '']))
  }

  it('lists every exported error class, and only those', () => {
    expect(rows.length).toBeGreaterThan(0)
    expect([...documented.keys()].sort()).toEqual([...exportedClasses.keys()].sort())
  })

  it('lists every code of the ErrorCode union, and only those', () => {
    expect([...new Set(rows.flatMap((row) => row.codes))].sort()).toEqual(errorCodeUnion().sort())
  })

  it('gives each class the code its instances carry', () => {
    for (const [name, errorClass] of exportedClasses) {
      const codes = documented.get(name) ?? []
      expect(codes[0], name).toBe(codeOf(errorClass))
      // A further code is one the class's options select (DatabaseUnavailableError's PT_LOCK_TIMEOUT).
      for (const code of codes.slice(1)) expect(codeOf(errorClass, { code }), name).toBe(code)
    }
  })
})
