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
    for (const text of ['1900-01-01 00:00:00', '0000-00-00 00:00:00', '2025-02-30 00:00:00', '2025-13-01 00:00:00', '9999-12-31 23:59:59', 'yesterday', '2025-03-10 25:00:00']) {
      expect(readTimestamp(text), text).toBe('sentinel')
    }
    expect(readTimestamp(null)).toBeNull()
  })
})
