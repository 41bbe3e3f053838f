/** Reading the timestamps a Python ProcessTracker database holds: UTC, sentinels, offsets. */
import { describe, expect, it } from 'vitest'
import { readTimestamp } from '../../src/import/values.ts'

const iso = (value: ReturnType<typeof readTimestamp>) => (value instanceof Date ? value.toISOString() : value)

describe('readTimestamp', () => {
  it('reads PostgreSQL and MySQL text as UTC, truncated to the millisecond', () => {
    expect(iso(readTimestamp('2025-03-10 03:05:01.988953'))).toBe('2025-03-10T03:05:01.988Z')
    expect(iso(readTimestamp('2025-03-10 03:05:01'))).toBe('2025-03-10T03:05:01.000Z')
    expect(iso(readTimestamp('2025-03-10 03:05:01.5'))).toBe('2025-03-10T03:05:01.500Z')
    expect(iso(readTimestamp('2025-03-10T03:05:01Z'))).toBe('2025-03-10T03:05:01.000Z')
  })

  it('applies an offset (timestamptz text)', () => {
    expect(iso(readTimestamp('2026-12-01 21:34:00.123+00'))).toBe('2026-12-01T21:34:00.123Z')
    expect(iso(readTimestamp('2026-12-01 21:34:00+02:00'))).toBe('2026-12-01T19:34:00.000Z')
    expect(iso(readTimestamp('2026-12-01 21:34:00-0130'))).toBe('2026-12-01T23:04:00.000Z')
  })

  it('calls placeholders and impossible values sentinels, and NULL null', () => {
    for (const text of [
      '1900-01-01 00:00:00',
      '0000-00-00 00:00:00',
      '2025-02-30 00:00:00',
      '2025-13-01 00:00:00',
      '9999-12-31 23:59:59',
      'yesterday',
      '2025-03-10 25:00:00',
    ]) {
      expect(readTimestamp(text), text).toBe('sentinel')
    }
    expect(readTimestamp(null)).toBeNull()
  })
})

describe.runIf(Boolean(process.env.PROCESS_TRACKER_TEST_POSTGRES_URL))('PostgreSQL array literals of the import writer', () => {
  it('round-trip text with quotes, backslashes, commas, braces and NULL, and timestamps', async () => {
    const { default: pg } = await import('pg')
    const { arrayElement } = await import('../../src/import/target.ts')
    const client = new pg.Client({ connectionString: process.env.PROCESS_TRACKER_TEST_POSTGRES_URL })
    await client.connect()
    try {
      const texts = ['plain', 'a "quoted" \\ back\\slash', '{braces}, commas', 'NULL', '', ' spaced ', null]
      const literal = `{${texts.map((text) => arrayElement(text, 'text')).join(',')}}`
      const { rows } = await client.query<{ a: (string | null)[] }>('select $1::text[] as a', [literal])
      expect(rows[0]?.a).toEqual(texts)
      const when = new Date('2025-03-10T03:05:01.988Z')
      const { rows: timeRows } = await client.query<{ t: string }>(
        "select to_char(($1::timestamptz[])[1] at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') as t",
        [`{${arrayElement(when, 'timestamptz')}}`],
      )
      expect(timeRows[0]?.t).toBe('2025-03-10 03:05:01.988')
    } finally {
      await client.end()
    }
  })
})
