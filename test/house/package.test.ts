// What `npm pack` would publish, and what the published types ask of a program: the built entry
// points and only them (no tests, no sources, no leftovers of moved modules), and optional peer
// drivers that the public types never import. publint (`npm run check:package`) checks the fields.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'
import { OPTIONAL_DRIVERS } from '../../src/store/load-driver.ts'
import { requireBuild } from '../support/build.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
interface Manifest {
  main: string
  types: string
  bin: Record<string, string>
  exports: Record<string, string | Record<string, string>>
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
}
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest

/** The package name a bare import specifier names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/')

/** Every .d.ts reachable from a public entry's types, by relative imports, and the bare specifiers they import. */
function publicTypeImports(): Map<string, Set<string>> {
  const seen = new Set<string>()
  const bare = new Map<string, Set<string>>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    // Comments hold examples that import the package itself: not imports.
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
      const specifier = match[1] ?? ''
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier.replace(/\.(?:js|ts)$/, '.d.ts')))
      else bare.set(specifier, (bare.get(specifier) ?? new Set()).add(path.relative(ROOT, file)))
    }
  }
  for (const target of Object.values(manifest.exports)) {
    if (typeof target === 'object' && target.types) visit(path.join(ROOT, target.types))
  }
  return bare
}

describe('the published package', () => {
  let packed: string[] = []
  beforeAll(() => {
    requireBuild()
    // --ignore-scripts: `prepare` would rebuild; the build is checked fresh above.
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' })
    packed = (JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((file) => file.path) ?? []
  }, 60_000)

  it('holds every file package.json points to', () => {
    const targets = [manifest.main, manifest.types, ...Object.values(manifest.bin)]
    for (const target of Object.values(manifest.exports)) targets.push(...(typeof target === 'string' ? [target] : Object.values(target)))
    for (const target of targets) expect(packed, target).toContain(path.normalize(target))
    expect(packed).toContain('README.md')
  })

  it('holds only the build, the bin, the schemas and the README', () => {
    const unexpected = packed.filter(
      (file) => !/^(?:dist|bin|schemas)\//.test(file) && !['package.json', 'README.md', 'LICENSE'].includes(file),
    )
    expect(unexpected).toEqual([])
  })

  it('holds no built file whose source is gone (a module moved since the last clean build)', () => {
    const orphans = packed.filter(
      (file) =>
        /^dist\/.*\.js$/.test(file) &&
        !file.startsWith('dist/dashboard/') &&
        !existsSync(path.join(ROOT, file.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'))),
    )
    // `npm run build` empties dist/ first; a bare `tsc -p tsconfig.build.json` leaves them behind.
    expect(orphans, 'run `npm run build`').toEqual([])
  })
})

describe('dependencies', () => {
  it('has the database and S3 drivers as optional peers, installed for the tests only', () => {
    const drivers = Object.keys(OPTIONAL_DRIVERS).sort()
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(drivers)
    for (const driver of drivers) {
      expect(manifest.peerDependenciesMeta[driver]?.optional, driver).toBe(true)
      expect(manifest.dependencies[driver], driver).toBeUndefined()
      expect(manifest.devDependencies[driver], driver).toBeDefined()
    }
    // The embedded default stays a dependency: `npm install processtracker` works on SQLite as is.
    expect(manifest.dependencies['better-sqlite3']).toBeDefined()
  })

  it('publishes types that compile in a strict program that checks libraries (skipLibCheck off)', () => {
    requireBuild()
    const roots = Object.values(manifest.exports).flatMap((target) =>
      typeof target === 'object' && target.types ? [path.join(ROOT, target.types)] : [],
    )
    const program = ts.createProgram(roots, {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2023,
      types: ['node'],
    })
    // Our declarations only (checking every library's would take long, and their quirks are not ours).
    const ours = program.getSourceFiles().filter((file) => file.fileName.startsWith(path.join(ROOT, 'dist')))
    expect(ours.length).toBeGreaterThan(roots.length)
    const problems = ours
      .flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)])
      .map(
        (diagnostic) =>
          `${path.relative(ROOT, diagnostic.file?.fileName ?? '')}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`,
      )
    expect(problems).toEqual([])
  }, 60_000)

  it('lets the public types import only Node and the dependencies, never an optional peer', () => {
    requireBuild()
    const imports = publicTypeImports()
    expect(imports.size).toBeGreaterThan(0)
    const allowed = (specifier: string): boolean =>
      specifier.startsWith('node:') || builtinModules.includes(specifier) || packageOf(specifier) in manifest.dependencies
    const wrong = [...imports]
      .filter(([specifier]) => !allowed(specifier))
      .map(([specifier, files]) => `${specifier} (${[...files].join(', ')})`)
    expect(wrong).toEqual([])
  })
})
