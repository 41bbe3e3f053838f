import { beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, ValidationError, parseCalendarDate, type DataStore } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'

describe('parseCalendarDate', () => {
  it('reads YYYY-MM-DD as UTC midnight and ISO date-times with a zone', () => {
    expect(parseCalendarDate('2024-02-29', 'low').toISOString()).toBe('2024-02-29T00:00:00.000Z')
    expect(parseCalendarDate('2024-06-01T12:30:00Z', 'high').toISOString()).toBe('2024-06-01T12:30:00.000Z')
    expect(parseCalendarDate('2024-06-01T12:30:05.25+02:00', 'high').toISOString()).toBe('2024-06-01T10:30:05.250Z')
    expect(parseCalendarDate('2024-01-01T00:15-01:30', 'high').toISOString()).toBe('2024-01-01T01:45:00.000Z')
    expect(parseCalendarDate('0099-12-31', 'low').getUTCFullYear()).toBe(99)
  })

  it('refuses dates that are not on the calendar and anything else, naming the field', () => {
    for (const text of [
      '2024-02-30',
      '2023-02-29',
      '2024-13-01',
      '2024-04-31',
      '2024-00-10',
      '2024-06-01T24:00:00Z',
      '2024-06-01T12:60Z',
      '2024-06-01T12:00:00',
      '2024-6-1',
      'tomorrow',
      '',
      ' 2024-06-01',
      '2024-06-01T12:00:00+25:00',
    ]) {
      const error = (() => {
        try {
          parseCalendarDate(text, '--low')
        } catch (caught) {
          return caught
        }
        return undefined
      })()
      expect(error, text).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).message, text).toContain('--low')
      expect((error as ValidationError).details).toMatchObject({ field: '--low' })
    }
  })
})

for (const dialect of DIALECTS) {
  describe(`${dialect}: input checks (0.2)`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    beforeAll(() => {
      store = isolated.store
    })

    it('refuses a low later than the high of the same call, and invalid Dates, writing nothing', async () => {
      const run = await ProcessTracker.start(store, { processName: 'dates', processType: 'Load' })
      await expect(run.setLowHighDates({ low: new Date('2024-06-01'), high: new Date('2024-01-01') })).rejects.toBeInstanceOf(
        ValidationError,
      )
      await expect(run.setLowHighDates({ low: new Date('not a date') })).rejects.toBeInstanceOf(ValidationError)
      await expect(run.setLowHighDates({ high: new Date(Number.NaN) })).rejects.toBeInstanceOf(ValidationError)
      expect((await store.listRuns({ processName: 'dates' }))[0]).toMatchObject({ lowDateTime: null, highDateTime: null })
      // Equal is fine; across calls the lowest low and highest high are kept as before.
      const day = new Date('2024-03-01T00:00:00Z')
      await run.setLowHighDates({ low: day, high: day })
      await run.setLowHighDates({ high: new Date('2024-02-01T00:00:00Z') })
      expect((await store.listRuns({ processName: 'dates' }))[0]).toMatchObject({ lowDateTime: day, highDateTime: day })
      await run.complete()
    })

    it('refuses control characters in names (newline, tab, C1), before anything is written', async () => {
      for (const name of ['two\nlines', 'tab\there', 'bell\u0007', 'c1\u0085x', 'del\u007f']) {
        await expect(ProcessTracker.start(store, { processName: name, processType: 'Load' }), JSON.stringify(name)).rejects.toBeInstanceOf(
          ValidationError,
        )
        await expect(ProcessTracker.start(store, { processName: 'ok name', processType: name })).rejects.toBeInstanceOf(ValidationError)
        await expect(store.lookups.create('actor', name)).rejects.toBeInstanceOf(ValidationError)
      }
      expect(await store.getProcess('ok name')).toBeNull()
      expect((await store.lookups.list('actor')).filter((actor) => /\p{Cc}/u.test(actor))).toEqual([])
      // Other characters stay allowed: inner spaces, accents, emoji.
      const run = await ProcessTracker.start(store, { processName: 'Café ☕ load', processType: 'Load' })
      await run.complete()
    })
  })
}
