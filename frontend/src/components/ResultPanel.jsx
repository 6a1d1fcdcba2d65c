// The result: the digit, large, with its confidence; a hint when the model is unsure; the probabilities;
// the 28×28 input. Errors are shown here too, in plain words, and the rest of the page keeps working.
import { isLowConfidence, topTwo } from '../state.js';
import ModelInput from './ModelInput.jsx';
import ProbabilityChart, { formatPercent } from './ProbabilityChart.jsx';

const ERROR_TITLES = {
  network: 'Cannot reach the server',
  too_large: 'File too large',
  rejected: 'The server could not use this file',
  server: 'The server ran into a problem',
  bad_response: 'Unexpected answer from the server',
};

export function ErrorMessage({ error }) {
  return (
    <div className="error" role="alert" data-testid="error">
      <p className="error-title">{ERROR_TITLES[error.kind] || ERROR_TITLES.server}</p>
      <p className="error-message" data-testid="error-message">
        {error.message}
      </p>
      {error.code && <p className="error-code">Code: {error.code}{error.status ? ` · HTTP ${error.status}` : ''}</p>}
    </div>
  );
}

function LowConfidenceHint({ result }) {
  const [, second] = topTwo(result.probabilities);
  return (
    <p className="hint" data-testid="low-confidence">
      Not sure — it could also be a {second.digit} ({formatPercent(second.probability)}). Try a larger digit, centred,
      with one clear stroke.
    </p>
  );
}

export default function ResultPanel({ state }) {
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

      {status === 'idle' && (
        <p className="placeholder">Draw a digit or upload an image, and the model's answer appears here.</p>
      )}
      {loading && !result && <p className="placeholder">Recognising…</p>}
      {status === 'error' && <ErrorMessage error={error} />}

      {result && (
        <div className={`result-body${loading ? ' is-stale' : ''}`}>
          <div className="prediction" aria-live="polite" aria-atomic="true">
            <span className="prediction-label">Predicted digit</span>
            <span className="prediction-digit" data-testid="predicted-digit">
              {result.digit}
            </span>
            <span className="prediction-confidence" data-testid="confidence">
              {formatPercent(result.confidence)} confident
            </span>
          </div>
          {isLowConfidence(result) && <LowConfidenceHint result={result} />}
          <ProbabilityChart probabilities={result.probabilities} predicted={result.digit} />
          {result.input && <ModelInput input={result.input} />}
        </div>
      )}
    </section>
  );
}
