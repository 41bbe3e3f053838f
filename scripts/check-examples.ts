// Type-checks the ```ts blocks under the `@example` tags in src/ (the dashboard aside), so an example
// cannot drift from the API it shows. Each block becomes a module checked with the project's compiler
// options: an example of a public symbol (what `processtracker` and `processtracker/server` export,
// with their class and interface members) sees the package's exports, imported by the package's name
// and resolved to src/ (no build needed); an example of an internal function sees its own module's
// exports (checked with --internal only). Part of `npm run typecheck`.
// Run: npx tsx scripts/check-examples.ts [--internal] [--list]
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ENTRIES = { processtracker: 'src/index.ts', 'processtracker/server': 'src/server/index.ts' } as const

/**
 * Names the examples use without defining them: what a reader already holds at that point of the
 * README's workflow, and the program's own work. Declared only when an example does not define them.
 */
const GIVEN: Record<string, string> = {
  store: 'declare const store: DataStore',
  run: 'declare const run: ProcessTracker',
  teams: 'declare const teams: ExtractTracker',
  players: 'declare const players: ExtractTracker',
  loc: 'declare const loc: LocationTracker',
  load: 'declare function load(fullFilename: string): Promise<void>',
}

interface Example {
  /** `src/…/file.ts:line` of the opening fence. */
  where: string
  code: string
  /** Whether it documents a public symbol (else an internal function of `module`). */
  isPublic: boolean
  module: string
}

function compilerOptions(): ts.CompilerOptions {
  const file = path.join(ROOT, 'tsconfig.json')
  const read = ts.readConfigFile(file, (name) => ts.sys.readFile(name))
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, file)
  return {
    ...parsed.options,
    noEmit: true,
    // The generated modules live outside the project: find @types/node from here.
    typeRoots: [path.join(ROOT, 'node_modules/@types')],
    paths: Object.fromEntries(Object.entries(ENTRIES).map(([name, entry]) => [name, [path.join(ROOT, entry)]])),
  }
}

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('dashboard'))
    .map((file) => path.join(ROOT, folder, file))
}

/** Every name an entry exports, and the declarations behind them with their class and interface members. */
function entryExports(checker: ts.TypeChecker, source: ts.SourceFile): { names: string[]; typeOnly: Set<string>; declarations: ts.Node[] } {
  const moduleSymbol = checker.getSymbolAtLocation(source)
  if (!moduleSymbol) throw new Error(`${source.fileName} is not a module`)
  const names: string[] = []
  const typeOnly = new Set<string>()
  const declarations: ts.Node[] = []
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    names.push(exported.name)
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    // verbatimModuleSyntax: a type must be imported as one.
    if (!(symbol.flags & ts.SymbolFlags.Value)) typeOnly.add(exported.name)
    for (const declaration of symbol.declarations ?? []) {
      declarations.push(declaration)
      if (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration)) declarations.push(...declaration.members)
    }
  }
  return { names, typeOnly, declarations }
}

/** The JSDoc comments the parser attached to a node: all of them (TypeScript's public getters keep only the last). */
function jsDocsOf(node: ts.Node): readonly ts.JSDoc[] {
  return (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? []
}

/** The ```ts blocks of the `@example` tags in one file, each with the node its comment documents. */
function examplesIn(source: ts.SourceFile, publicNodes: ReadonlySet<ts.Node>): Example[] {
  const examples: Example[] = []
  const visit = (node: ts.Node): void => {
    const host = ts.isVariableStatement(node) ? (node.declarationList.declarations[0] ?? node) : node
    for (const doc of jsDocsOf(node)) {
      for (const tag of doc.tags ?? []) {
        if (tag.tagName.text !== 'example') continue
        const raw = source.text.slice(tag.pos, tag.end)
        const text = raw.replace(/^[ \t]*\*(?: |(?=\n)|$)/gm, '')
        for (const match of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
          // Stripping the comment's stars keeps every line break: count them to find the fence.
          const line = source.getLineAndCharacterOfPosition(tag.pos).line + text.slice(0, match.index).split('\n').length
          examples.push({
            where: `${path.relative(ROOT, source.fileName)}:${String(line)}`,
            code: match[1] ?? '',
            isPublic: publicNodes.has(host),
            module: source.fileName,
          })
        }
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return examples
}

const declares = (code: string, name: string): boolean =>
  new RegExp(`\\b(?:const|let|var|function|class)\\s+(?:[{[][^=]*\\b)?${name}\\b`).test(code)

/** A module for one example: the names it may use in scope (unless it imports its own), then the code. */
function moduleText(example: Example, scope: ReadonlyMap<string, string>, typeOnly: ReadonlySet<string>): string {
  let preamble = ''
  if (!/^\s*import\s/m.test(example.code)) {
    const byModule = new Map<string, string[]>()
    for (const [name, from] of scope) {
      if (!declares(example.code, name)) byModule.set(from, [...(byModule.get(from) ?? []), typeOnly.has(name) ? `type ${name}` : name])
    }
    for (const [from, names] of byModule) preamble += `import { ${names.join(', ')} } from '${from}'\n`
    for (const [name, declaration] of Object.entries(GIVEN)) {
      if (!declares(example.code, name) && !scope.has(name)) preamble += `${declaration}\n`
    }
  }
  return `// ${example.where}\n${preamble}export {}\n${example.code}`
}

function main(): void {
  const options = compilerOptions()
  const base = ts.createProgram(sourceFiles('src'), options)
  const checker = base.getTypeChecker()

  const packageScope = new Map<string, string>()
  const publicNodes = new Set<ts.Node>()
  const typeOnly = new Set<string>()
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const exports = entryExports(checker, base.getSourceFile(path.join(ROOT, entry)) as ts.SourceFile)
    for (const exported of exports.names) if (!packageScope.has(exported)) packageScope.set(exported, name)
    for (const exported of exports.typeOnly) typeOnly.add(exported)
    for (const declaration of exports.declarations) publicNodes.add(declaration)
  }
  // Internal functions' examples are checked on request only: they are notes for the next engineer,
  // written against internal signatures that change freely.
  const withInternal = process.argv.includes('--internal')
  const examples = sourceFiles('src')
    .flatMap((file) => examplesIn(base.getSourceFile(file) as ts.SourceFile, publicNodes))
    .filter((example) => withInternal || example.isPublic)
  if (process.argv.includes('--list')) {
    for (const example of examples) console.log(`--- ${example.where}${example.isPublic ? ' (public)' : ''}\n${example.code}`)
    return
  }

  const folder = mkdtempSync(path.join(tmpdir(), 'processtracker-examples-'))
  try {
    const files = new Map<string, Example>()
    for (const [index, example] of examples.entries()) {
      let scope = packageScope
      let types = typeOnly
      if (!example.isPublic) {
        // An internal function's example: its own module's exports first, then the package's.
        const own = entryExports(checker, base.getSourceFile(example.module) as ts.SourceFile)
        scope = new Map(packageScope)
        // Relative, so that its `.ts` extension is allowed (rewriteRelativeImportExtensions).
        const specifier = path.relative(folder, example.module)
        for (const name of own.names) scope.set(name, specifier)
        types = new Set([...typeOnly].filter((name) => scope.get(name) !== specifier).concat([...own.typeOnly]))
      }
      // .mts: an ES module wherever the folder is, as the package is.
      const file = path.join(folder, `example-${String(index + 1)}.mts`)
      writeFileSync(file, moduleText(example, scope, types))
      files.set(file, example)
    }
    const program = ts.createProgram([...files.keys()], options, undefined, base)
    // Only the examples are checked: asked per file, the checker resolves just what they use, where the
    // whole program's diagnostics would type-check all of src again (`tsc --noEmit`'s job).
    const problems = [...files.keys()]
      .flatMap((file) => ts.getPreEmitDiagnostics(program, program.getSourceFile(file)))
      .filter((diagnostic) => diagnostic.file && files.has(diagnostic.file.fileName))
    for (const diagnostic of problems) {
      const file = diagnostic.file as ts.SourceFile
      const example = files.get(file.fileName) as Example
      const line = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line
      const first = file.getLineAndCharacterOfPosition(file.text.indexOf('export {}\n')).line + 1
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      console.error(`${example.where}, example line ${String(line - first + 1)}: ${message}`)
    }
    // Errors in src itself are \`tsc --noEmit\`'s to report; here only the examples count.
    const publicCount = examples.filter((example) => example.isPublic).length
    console.log(
      `check-examples: ${String(examples.length)} examples (${String(publicCount)} of public symbols) checked, ${String(problems.length)} problems`,
    )
    if (problems.length > 0) process.exitCode = 1
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

main()
