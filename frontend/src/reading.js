// What the page shows of a /read answer (api.js read): its lines, a box per character, and the turn the
// server gave the picture. An older server sends no lines: its text is one line of digits, and its digits
// are the characters.
import { isLowConfidence } from './state.js';

const isDigitChar = (ch) => ch >= '0' && ch <= '9';

// Whether anything was read (a digit, or a mark such as a minus sign).
export function hasReading(result) {
  return result.text.trim() !== '' || result.digits.length > 0;
}

// The lines read, top to bottom, as text.
export function readingLines(result) {
  if (result.lines) return result.lines.map((line) => line.text).filter((text) => text !== '');
  return result.text.split('\n').filter((text) => text !== '');
}

// Every character read, line by line, left to right: [{ char, confidence, box, line (its line's index, 0
// on), isMark (not a digit), unsure (the server is unsure which digit it is) }]. A digit character's
// `unsure` comes from its entry in `digits`, which lists the digit characters in the same order.
export function readingCharacters(result) {
  if (!result.lines) {
    return result.digits.map((d) => ({ char: String(d.digit), confidence: d.confidence, box: d.box, line: 0, isMark: false, unsure: isLowConfidence(d) }));
  }
  const characters = result.lines.flatMap((line, index) => line.characters.map((c) => ({ ...c, line: index })));
  const digitCount = characters.filter((c) => isDigitChar(c.char)).length;
  const paired = digitCount === result.digits.length;
  let next = 0;
  return characters.map((c) => {
    if (!isDigitChar(c.char)) return { ...c, isMark: true, unsure: false };
    const digit = paired ? result.digits[next++] : null;
    return { ...c, isMark: false, unsure: isLowConfidence(digit) };
  });
}

// Where the digit digits[index] stands in the reading: { line (1 on), place (1 on, among the line's
// characters, marks included) }; line null when the reading has one line, or comes from an older server
// (place is then among the digits).
export function digitPlace(result, index) {
  if (result.lines) {
    let seen = 0;
    for (const [l, line] of result.lines.entries()) {
      for (const [c, character] of line.characters.entries()) {
        if (!isDigitChar(character.char)) continue;
        if (seen === index) return { line: result.lines.length > 1 ? l + 1 : null, place: c + 1 };
        seen += 1;
      }
    }
  }
  return { line: null, place: index + 1 };
}

// The page's words for the turn the server gave the picture to read it (degrees clockwise); null for none.
export function turnNote(orientation) {
  if (orientation === 90) return 'The picture was turned 90° clockwise to read it.';
  if (orientation === 180) return 'The picture was turned upside down (180°) to read it.';
  if (orientation === 270) return 'The picture was turned 90° anticlockwise to read it.';
  return null;
}

// A name for a mark, for screen readers and titles.
export const MARK_NAMES = { '.': 'point', ',': 'comma', '-': 'minus', '/': 'slash', ':': 'colon' };
