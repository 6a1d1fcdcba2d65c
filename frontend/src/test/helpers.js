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
