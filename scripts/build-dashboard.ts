/**
 * Builds the dashboard (src/dashboard) with esbuild into dist/dashboard: `index.html`, one
 * content-hashed script and one stylesheet, served by `processtracker serve` and shipped in the npm
 * package. Part of `npm run build`. Nothing is fetched from a CDN: every byte is in these files.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = dirname(dirname(fileURLToPath(import.meta.url)))

/** The files of a build, relative to its folder. */
export interface DashboardBuild {
  outDir: string
  script: string
  stylesheet: string
}

function page(script: string, stylesheet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>ProcessTracker</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/${stylesheet}">
<script type="module" src="/dashboard/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The ProcessTracker dashboard needs JavaScript. The same facts are in the HTTP API (/docs) and the processtracker command.</noscript>
</body>
</html>
`
}

/** Bundles and minifies the dashboard into `outDir` (emptied first). */
export async function buildDashboard(outDir = join(root, 'dist', 'dashboard')): Promise<DashboardBuild> {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  const result = await build({
    entryPoints: [join(root, 'src', 'dashboard', 'main.tsx')],
    outdir: outDir,
    entryNames: 'app-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(root, 'src', 'dashboard', 'tsconfig.json'),
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  })
  const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file))
  const script = outputs.find((file) => file.endsWith('.js'))
  const stylesheet = outputs.find((file) => file.endsWith('.css'))
  if (!script || !stylesheet) throw new Error(`esbuild made ${outputs.join(', ')}: expected one .js and one .css`)
  writeFileSync(join(outDir, 'index.html'), page(script, stylesheet))
  return { outDir, script, stylesheet }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const made = await buildDashboard()
  console.log(`dashboard: ${readdirSync(made.outDir).join(', ')} in ${made.outDir}`)
}
