// A small status badge: is the API reachable, and how good is the model it serves (GET /model)?
import { useCallback, useEffect, useState } from 'react';

// The test accuracy from GET /model's training metadata, wherever the server puts it.
export function testAccuracy(info) {
  const candidates = [info?.training?.test_accuracy, info?.metadata?.test_accuracy, info?.test_accuracy];
  return candidates.find((x) => typeof x === 'number' && x > 0 && x <= 1) ?? null;
}

export default function ServerStatus({ client }) {
  const [status, setStatus] = useState({ state: 'checking' });

  const check = useCallback(
    async (signal) => {
      setStatus({ state: 'checking' });
      try {
        const info = await client.modelInfo({ signal });
        setStatus({ state: 'ready', accuracy: testAccuracy(info) });
      } catch (err) {
        if (err?.name !== 'AbortError') setStatus({ state: 'down', message: err.message });
      }
    },
    [client],
  );

  useEffect(() => {
    const controller = new AbortController();
    check(controller.signal);
    return () => controller.abort();
  }, [check]);

  if (status.state === 'checking') {
    return (
      <p className="status status-checking" role="status">
        Connecting…
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
      Server unreachable
      <button type="button" className="link-button" onClick={() => check()}>
        Retry
      </button>
    </p>
  );
}
