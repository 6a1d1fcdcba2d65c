// A small status badge: is the API reachable, is the model loaded, and how good is it (GET /model)?
import { useCallback, useEffect, useState } from 'react';
import { testAccuracy } from '../modelInfo.js';

const LOADING_RETRY_MS = 2000;

export default function ServerStatus({ client, retryMs = LOADING_RETRY_MS }) {
  const [status, setStatus] = useState({ state: 'checking' });
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    let timer = null;
    client
      .modelInfo({ signal: controller.signal })
      .then((info) => setStatus({ state: 'ready', accuracy: testAccuracy(info) }))
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

  if (status.state === 'checking' || status.state === 'loading') {
    return (
      <p className="status status-checking" role="status" data-testid="server-status">
        <span className="status-dot" aria-hidden="true" />
        {status.state === 'checking' ? 'Connecting…' : 'Loading the model…'}
      </p>
    );
  }
  if (status.state === 'ready') {
    return (
      <p className="status status-ready" role="status" data-testid="server-status">
        <span className="status-dot" aria-hidden="true" />
        Model ready{status.accuracy !== null && ` · ${(status.accuracy * 100).toFixed(2)}% on MNIST test`}
      </p>
    );
  }
  return (
    <p className="status status-down" role="status" data-testid="server-status" title={status.message}>
      <span className="status-dot" aria-hidden="true" />
      {status.kind === 'network' ? 'Server unreachable' : 'Server not ready'}
      <button type="button" className="link-button" onClick={retry}>
        Retry
      </button>
    </p>
  );
}
