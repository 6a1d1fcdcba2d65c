// The page's answer state, one for the single digit (POST /predict) and one for the number (POST /read): one
// request at a time; a newer request cancels an older one, and an answer that arrives late for an older
// request is ignored (live prediction while drawing sends many).
import { useCallback, useEffect, useReducer, useRef } from 'react';

export const initialState = { status: 'idle', result: null, error: null, source: null, resultSource: null };

// status: 'idle' | 'loading' | 'done' | 'error'. While loading, the previous result stays on screen (dimmed)
// so that live prediction does not flicker. source is what the latest request is about, resultSource what
// the result on screen is about (they differ while a newer request runs: boxes belong on the older image).
export function predictionReducer(state, action) {
  switch (action.type) {
    case 'start':
      return { ...state, status: 'loading', error: null, source: action.source };
    case 'success':
      return { status: 'done', result: action.result, error: null, source: action.source, resultSource: action.source };
    case 'failure':
      return { status: 'error', result: null, error: action.error, source: action.source, resultSource: null };
    case 'reset':
      return initialState;
    default:
      throw new Error(`unknown action ${action.type}`);
  }
}

// The two most likely digits, most likely first: [{ digit, probability }, …].
export function topTwo(probabilities) {
  return probabilities
    .map((probability, digit) => ({ digit, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 2);
}

// Whether the server is unsure which digit this is: it answers is_digit false with the reason low_confidence
// (the model torn between two digits, by the model's own calibrated threshold). `result` is a /predict
// answer or one digit of a /read answer. The page has no threshold of its own.
export function isLowConfidence(result) {
  return result?.isDigit === false && result.reason === 'low_confidence';
}

// Of a reading's digits, the least confident of those the server is unsure of, with its place: { ...digit,
// index }; null when the server is sure of them all.
export function leastCertainDigit(digits) {
  return digits
    .map((d, index) => ({ ...d, index }))
    .filter(isLowConfidence)
    .reduce((worst, d) => (worst === null || d.confidence < worst.confidence ? d : worst), null);
}

// When the server says the image is not a digit (newer servers add is_digit and a reason), how the page says
// so; null when the answer is a digit, or when the server does not say (it then is one, as before).
export function notDigitVerdict(result) {
  if (result?.isDigit !== false) return null;
  if (result.reason === 'low_confidence') return { title: 'Not sure this is a digit', reason: 'low_confidence' };
  return { title: 'This doesn’t look like a digit', reason: result.reason || 'not_a_digit' };
}

// The single-digit answer saw several digit-like marks: the image is probably a number.
export function looksLikeNumber(result) {
  return Number.isInteger(result?.digitCount) && result.digitCount > 1;
}

export function toDisplayError(err) {
  if (err && err.name === 'ApiError') {
    return { kind: err.kind, message: err.message, status: err.status, code: err.code, retryAfter: err.retryAfter ?? null };
  }
  return { kind: 'server', message: err?.message || String(err), status: null, code: null, retryAfter: null };
}

// ask(image, { signal, filename }) → a promise of the answer. Returns { state, run(image, source), reset }.
// source: { kind: 'drawing' | 'upload', label, filename } — what the answer is about; the image sent is kept
// in it (source.image) so that it can be asked about again another way.
export function useLatestAnswer(ask) {
  const [state, dispatch] = useReducer(predictionReducer, initialState);
  const latest = useRef(0);
  const inFlight = useRef(null);

  const cancel = useCallback(() => {
    latest.current += 1;
    inFlight.current?.abort();
    inFlight.current = null;
  }, []);

  const run = useCallback(
    async (image, givenSource) => {
      cancel();
      const source = { ...givenSource, image };
      const id = latest.current;
      const controller = new AbortController();
      inFlight.current = controller;
      dispatch({ type: 'start', source });
      try {
        const result = await ask(image, { signal: controller.signal, filename: source.filename });
        if (id === latest.current) dispatch({ type: 'success', result, source });
      } catch (err) {
        if (id !== latest.current || err?.name === 'AbortError') return;
        dispatch({ type: 'failure', error: toDisplayError(err), source });
      } finally {
        if (inFlight.current === controller) inFlight.current = null;
      }
    },
    [ask, cancel],
  );

  const reset = useCallback(() => {
    cancel();
    dispatch({ type: 'reset' });
  }, [cancel]);

  useEffect(() => cancel, [cancel]);

  return { state, run, reset };
}

export function usePrediction(client) {
  const ask = useCallback((image, options) => client.predict(image, options), [client]);
  const { state, run, reset } = useLatestAnswer(ask);
  return { state, predict: run, reset };
}

export function useReading(client) {
  const ask = useCallback((image, options) => client.read(image, options), [client]);
  const { state, run, reset } = useLatestAnswer(ask);
  return { state, read: run, reset };
}
