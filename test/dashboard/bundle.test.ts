import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildDashboard, type DashboardBuild } from '../../scripts/build-dashboard.ts'

/** dashboard.md "Small and fast": at most 150 KB of JavaScript (gzip) for the whole dashboard. */
const BUDGET_BYTES = 150 * 1024

describe('the dashboard build', () => {
  let made: DashboardBuild
  beforeAll(async () => {
    made = await buildDashboard(mkdtempSync(join(tmpdir(), 'pt-dashboard-')))
  })
  afterAll(() => {
    rmSync(made.outDir, { recursive: true, force: true })
  })

  it('ships at most 150 KB of JavaScript, gzipped', () => {
    const scripts = readdirSync(made.outDir).filter((file) => file.endsWith('.js'))
    expect(scripts).toEqual([made.script])
    const gzipped = scripts.reduce((total, file) => total + gzipSync(readFileSync(join(made.outDir, file)), { level: 9 }).length, 0)
    process.stderr.write(`dashboard JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzip (budget 150 KB)\n`)
    expect(gzipped).toBeGreaterThan(1000)
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES)
  })

  it('loads nothing from another host: the page names only its own files', () => {
    const page = readFileSync(join(made.outDir, 'index.html'), 'utf8')
    expect(page).toContain(`src="/dashboard/${made.script}"`)
    expect(page).toContain(`href="/dashboard/${made.stylesheet}"`)
    const stylesheet = readFileSync(join(made.outDir, made.stylesheet), 'utf8')
    for (const text of [page, stylesheet]) {
      expect(text).not.toMatch(/https?:\/\//)
      expect(text).not.toMatch(/@import|@font-face/)
    }
  })
})
