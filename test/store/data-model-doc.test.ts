import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DOCUMENT } from '../../scripts/data-model-doc.ts'

describe('docs/data-model.md', () => {
  it('matches the schema (regenerate with: npx tsx scripts/data-model-doc.ts)', () => {
    expect(readFileSync(new URL('../../docs/data-model.md', import.meta.url), 'utf8')).toBe(DOCUMENT)
  })
})
