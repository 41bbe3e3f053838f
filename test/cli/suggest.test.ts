import { describe, expect, it } from 'vitest'
import { describeFailure, MAX_DESCRIPTION } from '../../src/cli/stderr-summary.ts'
import { didYouMean, editDistance, suggest } from '../../src/cli/suggest.ts'

describe('suggestions for unknown names', () => {
  it('edit distance counts insertions, deletions, substitutions and transpositions', () => {
    expect(editDistance('Data Error', 'Data Error')).toBe(0)
    expect(editDistance('Data Eror', 'Data Error')).toBe(1)
    expect(editDistance('Dtaa Error', 'Data Error')).toBe(1)
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
  })

  it('suggests close names, case differences first, and nothing for a far one', () => {
    const statuses = ['running', 'completed', 'failed', 'on hold', 'released']
    expect(suggest('Failed', statuses)).toEqual(['failed'])
    expect(suggest('bogus', statuses)).toEqual([])
    expect(didYouMean('Data Eror', ['File Error', 'Data Error', 'Process Error'])).toBe("did you mean 'Data Error'?")
    expect(didYouMean('Teams', ['Teams Load', 'Teams Extract', 'Players'])).toBe("did you mean 'Teams Extract' or 'Teams Load'?")
    expect(didYouMean('zzz', ['a'])).toBe('')
  })
})

describe('the error run records for a failed command', () => {
  const lines = (count: number, width = 30) => Array.from({ length: count }, (_, i) => `line ${i + 1} `.padEnd(width, '-'))

  it('keeps the last whole lines that fit, starting at a line boundary, with "… N earlier lines cut" in front', () => {
    const tail = lines(100)
    const text = describeFailure('The command exited with code 7.', tail, 100)
    expect(Array.from(text).length).toBeLessThanOrEqual(MAX_DESCRIPTION)
    const [summary, cut, first, ...rest] = text.split('\n')
    expect(summary).toBe('The command exited with code 7.')
    const kept = [first ?? '', ...rest]
    expect(kept.at(-1)).toBe(tail.at(-1))
    expect(tail.slice(-kept.length)).toEqual(kept) // whole lines, in order, ending with the last
    expect(cut).toBe(`… ${100 - kept.length} earlier lines cut`)
    // One more line would not have fitted.
    expect(
      Array.from([summary, `… ${99 - kept.length} earlier lines cut`, ...tail.slice(-kept.length - 1)].join('\n')).length,
    ).toBeGreaterThan(MAX_DESCRIPTION)
  })

  it('counts lines that already left the kept tail, drops trailing blank lines, and needs no note when all fit', () => {
    expect(describeFailure('Failed.', ['a', 'b', ''], 3)).toBe('Failed.\na\nb')
    expect(describeFailure('Failed.', ['x', 'y'], 250)).toBe('Failed.\n… 248 earlier lines cut\nx\ny')
    expect(describeFailure('Failed.', [], 0)).toBe('Failed.')
  })

  it('a single last line longer than the room keeps its end', () => {
    const text = describeFailure('Failed.', ['start', `${'a'.repeat(2000)}END`], 2)
    expect(Array.from(text).length).toBeLessThanOrEqual(MAX_DESCRIPTION)
    expect(text).toMatch(/^Failed\.\n… 1 earlier line cut\n…a+END$/)
  })
})
