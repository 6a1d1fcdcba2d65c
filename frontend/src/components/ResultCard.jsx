// The card every answer is shown in (one digit, or a number): heading, what it is about, a spinner while
// waiting, the error if any, in plain words (the rest of the page keeps working), and the answer itself
// (children(result)) once there is one.

const ERROR_TITLES = {
  network: 'Cannot reach the server',
  too_large: 'File too large',
  rejected: 'The server could not use this file',
  server: 'The server ran into a problem',
  bad_response: 'Unexpected answer from the server',
};

// Errors worth a title of their own, whatever their HTTP status.
const ERROR_TITLES_BY_CODE = {
  empty_image: 'No ink found',
  not_ready: 'The model is still loading',
};

function ErrorMessage({ error }) {
  return (
    <div className="error" role="alert" data-testid="error">
      <p className="error-title">{ERROR_TITLES_BY_CODE[error.code] || ERROR_TITLES[error.kind] || ERROR_TITLES.server}</p>
      <p className="error-message" data-testid="error-message">
        {error.message}
      </p>
      {error.code === 'not_ready' && <p className="error-message">Try again in a few seconds.</p>}
      {error.code && <p className="error-code">Code: {error.code}{error.status ? ` · HTTP ${error.status}` : ''}</p>}
    </div>
  );
}

export default function ResultCard({ state, idleText, children }) {
  const { status, result, error, source } = state;
  const loading = status === 'loading';
  return (
    <section className="card result" aria-labelledby="result-heading" aria-busy={loading}>
      <div className="card-head">
        <h2 id="result-heading">Result</h2>
        {source && (status === 'done' || status === 'error' || (loading && result)) && (
          <span className="result-source">for {source.label}</span>
        )}
        {loading && <span className="spinner" role="status" aria-label="Recognising" />}
      </div>

      {status === 'idle' && <p className="placeholder">{idleText}</p>}
      {loading && !result && <p className="placeholder">Recognising…</p>}
      {status === 'error' && <ErrorMessage error={error} />}
      {result && children(result)}
    </section>
  );
}
