// What the page knows of the server (GET /model): reachable, the model loaded, its test accuracy, and whether
// corrections are kept. Asked once when the page opens (again on Retry, and every couple of seconds while the
// model loads); the badge (ServerStatus) shows it and the answers offer a correction only when it is kept.
import { useCallback, useEffect, useState } from 'react';
import { feedbackEnabled, testAccuracy } from './modelInfo.js';

export const LOADING_RETRY_MS = 2000;

// status: { state: 'checking' } | { state: 'loading' } | { state: 'ready', accuracy (number | null),
// feedback (boolean) } | { state: 'down', kind, message }. retry() asks again.
export function useServerStatus(client, { retryMs = LOADING_RETRY_MS } = {}) {
  const [status, setStatus] = useState({ state: 'checking' });
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    let timer = null;
    client
      .modelInfo({ signal: controller.signal })
      .then((info) => setStatus({ state: 'ready', accuracy: testAccuracy(info), feedback: feedbackEnabled(info) }))
      .catch((err) => {
        if (err?.name === 'AbortError') return;
        if (err?.status === 503) {
          // The server is up and still loading the model (/readyz is 503 until then): ask again shortly.
          setStatus({ state: 'loading' });
          timer = setTimeout(retry, retryMs);
        } else {
          setStatus({ state: 'down', kind: err?.kind, message: err?.message });
        }
      });
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [client, attempt, retry, retryMs]);

  return { status, retry };
}
