// A small status badge: is the API reachable, is the model loaded, and how good is it? status and onRetry
// come from useServerStatus (serverStatus.js), which App holds: the answers need to know too whether the
// server keeps corrections.
export default function ServerStatus({ status, onRetry }) {
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
      <button type="button" className="link-button" onClick={onRetry}>
        Retry
      </button>
    </p>
  );
}
