// The page's prediction state: one request at a time; a newer request cancels an older one, and an answer
// that arrives late for an older request is ignored (live prediction while drawing sends many).
import { useCallback, useEffect, useReducer, useRef } from 'react';

export const LOW_CONFIDENCE = 0.6;

export const initialState = { status: 'idle', result: null, error: null, source: null };

// status: 'idle' | 'loading' | 'done' | 'error'. While loading, the previous result stays on screen (dimmed)
// so that live prediction does not flicker.
export function predictionReducer(state, action) {
  switch (action.type) {
    case 'start':
      return { ...state, status: 'loading', error: null, source: action.source };
    case 'success':
      return { status: 'done', result: action.result, error: null, source: action.source };
    case 'failure':
      return { status: 'error', result: null, error: action.error, source: action.source };
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

export function isLowConfidence(result) {
  return result.confidence < LOW_CONFIDENCE;
}

export function toDisplayError(err) {
  if (err && err.name === 'ApiError') return { kind: err.kind, message: err.message, status: err.status, code: err.code };
  return { kind: 'server', message: err?.message || String(err), status: null, code: null };
}

export function usePrediction(client) {
  const [state, dispatch] = useReducer(predictionReducer, initialState);
  const latest = useRef(0);
  const inFlight = useRef(null);

  const cancel = useCallback(() => {
    latest.current += 1;
    inFlight.current?.abort();
    inFlight.current = null;
  }, []);

  // source: { kind: 'drawing' | 'upload', label } — what the result is about.
  const predict = useCallback(
    async (image, source) => {
      cancel();
      const id = latest.current;
      const controller = new AbortController();
      inFlight.current = controller;
      dispatch({ type: 'start', source });
      try {
        const result = await client.predict(image, { signal: controller.signal, filename: source?.filename });
        if (id === latest.current) dispatch({ type: 'success', result, source });
      } catch (err) {
        if (id !== latest.current || err?.name === 'AbortError') return;
        dispatch({ type: 'failure', error: toDisplayError(err), source });
      } finally {
        if (inFlight.current === controller) inFlight.current = null;
      }
    },
    [client, cancel],
  );

  const reset = useCallback(() => {
    cancel();
    dispatch({ type: 'reset' });
  }, [cancel]);

  useEffect(() => cancel, [cancel]);

  return { state, predict, reset };
}
