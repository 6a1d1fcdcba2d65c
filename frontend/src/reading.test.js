import { describe, expect, it } from 'vitest';
import { digitPlace, hasReading, readingCharacters, readingLines, turnNote } from './reading.js';
import { linesReading, reading } from './test/helpers.js';

describe('reading', () => {
  it('lists the lines, from the lines sent or else from the text', () => {
    expect(readingLines(linesReading(['3.14', '27']))).toEqual(['3.14', '27']);
    expect(readingLines(reading('2024'))).toEqual(['2024']);
    expect(readingLines({ text: '', digits: [], lines: null })).toEqual([]);
  });

  it('knows whether anything was read', () => {
    expect(hasReading(linesReading(['-']))).toBe(true);
    expect(hasReading({ text: '', digits: [], lines: [] })).toBe(false);
  });

  it('gives every character, digits paired with their entries in digits', () => {
    const result = linesReading(['1.5', '2']);
    Object.assign(result.digits[2], { isDigit: false, reason: 'low_confidence' });
    expect(readingCharacters(result).map((c) => [c.char, c.isMark, c.unsure])).toEqual([
      ['1', false, false],
      ['.', true, false],
      ['5', false, false],
      ['2', false, true],
    ]);
    expect(readingCharacters(reading('17')).map((c) => c.char)).toEqual(['1', '7']);
  });

  it("places a digit among its line's characters", () => {
    const result = linesReading(['3.14', '27']);
    expect(digitPlace(result, 1)).toEqual({ line: 1, place: 3 });
    expect(digitPlace(result, 4)).toEqual({ line: 2, place: 2 });
    expect(digitPlace(linesReading(['1.5']), 1)).toEqual({ line: null, place: 3 });
    expect(digitPlace(reading('2024'), 2)).toEqual({ line: null, place: 3 });
  });

  it('words the turn, none for 0', () => {
    expect(turnNote(0)).toBeNull();
    expect(turnNote(90)).toMatch(/90° clockwise/);
    expect(turnNote(270)).toMatch(/90° anticlockwise/);
  });
});
