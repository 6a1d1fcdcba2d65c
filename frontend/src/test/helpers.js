import { vi } from 'vitest';

export const probabilitiesFor = (digit, confidence = 0.9) =>
  Array.from({ length: 10 }, (_, d) => (d === digit ? confidence : (1 - confidence) / 9));

export const image28 = () => Array.from({ length: 28 }, (_, y) => Array.from({ length: 28 }, (_, x) => (x === 14 && y > 4 && y < 24 ? 1 : 0)));

export function jsonResponse(body, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export function prediction(digit, confidence = 0.9) {
  return { digit, confidence, probabilities: probabilitiesFor(digit, confidence), input: image28() };
}

// A reading of a whole number, as the client returns it: one 60×100 box per digit, 20 px apart.
export function reading(text = '2024', confidence = 0.97) {
  return {
    text,
    confidence,
    digits: [...text].map((d, i) => ({
      digit: Number(d),
      confidence,
      box: [20 + 80 * i, 10, 60, 100],
      probabilities: probabilitiesFor(Number(d), confidence),
      input: image28(),
    })),
    ignored: [],
  };
}

// A stand-in for createApiClient's result. Its /model answer says nothing of corrections (an older server,
// or one without --feedback-db); keepingCorrections() is one that keeps them.
export function fakeClient(overrides = {}) {
  return {
    baseUrl: 'http://api.test',
    predict: vi.fn(async () => prediction(7, 0.97)),
    read: vi.fn(async () => reading('2024', 0.97)),
    modelInfo: vi.fn(async () => ({ training: { test_accuracy: 0.9951 } })),
    sendFeedback: vi.fn(async () => ({ id: 'c0ffee', deleteToken: 'secret-token' })),
    deleteFeedback: vi.fn(async () => undefined),
    ...overrides,
  };
}

export function keepingCorrections(overrides = {}) {
  return fakeClient({ modelInfo: vi.fn(async () => ({ training: { test_accuracy: 0.9951 }, feedback: { enabled: true } })), ...overrides });
}

// A reading of several lines, as the client returns it from a server that sends lines: line i 100 px tall
// at y = 10 + 130 i; character j of a line at x = 20 + 80 j, 60 px wide (a mark 20 px). digits: the digit
// characters, line by line.
export function linesReading(texts = ['3.14', '27'], confidence = 0.9, { orientation = 0 } = {}) {
  const lines = texts.map((text, i) => {
    const characters = [...text].map((char, j) => {
      const mark = !/[0-9]/.test(char);
      return { char, confidence, box: [20 + 80 * j + (mark ? 20 : 0), 10 + 130 * i, mark ? 20 : 60, 100] };
    });
    return { text, confidence, box: [20, 10 + 130 * i, 80 * text.length - 20, 100], characters };
  });
  const digits = lines
    .flatMap((line) => line.characters)
    .filter((c) => /[0-9]/.test(c.char))
    .map((c) => ({ digit: Number(c.char), confidence, box: c.box, probabilities: probabilitiesFor(Number(c.char), confidence), input: image28() }));
  return { text: texts.join('\n'), confidence, orientation, lines, digits, ignored: [] };
}
