// The result: the digit, large, with its confidence; a hint when the model is unsure; the probabilities;
// the 28×28 input. When the server says the image is not a digit, the page says so plainly and shows the best
// guess small; when the image holds several digits, it offers to read them as a number. Errors are shown
// here too, in plain words, and the rest of the page keeps working.
import { isLowConfidence, looksLikeNumber, notDigitVerdict, topTwo } from '../state.js';
import ModelInput from './ModelInput.jsx';
import ProbabilityChart, { formatPercent } from './ProbabilityChart.jsx';

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

export function ErrorMessage({ error }) {
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

// The card every answer is shown in: heading, what it is about, a spinner while waiting, the error if any,
// and the answer itself (children(result)) once there is one.
export function ResultCard({ state, idleText, children }) {
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

function LowConfidenceHint({ result }) {
  const [, second] = topTwo(result.probabilities);
  return (
    <p className="hint" data-testid="low-confidence">
      Not sure — it could also be a {second.digit} ({formatPercent(second.probability)}). Try a larger digit, centred,
      with one clear stroke.
    </p>
  );
}

function NotADigit({ verdict, result }) {
  return (
    <div className="prediction is-not-digit" aria-live="polite" aria-atomic="true">
      <span className="not-digit-title" data-testid="not-a-digit">
        {verdict.title}
      </span>
      <span className="best-guess" data-testid="best-guess">
        best guess: {result.digit}, {formatPercent(result.confidence)}
      </span>
      <span className="not-digit-help">
        {verdict.reason === 'low_confidence'
          ? 'The model cannot tell which digit this is.'
          : 'The model was trained on the digits 0–9; this looks like something else.'}
      </span>
    </div>
  );
}

function NumberOffer({ count, onRead }) {
  return (
    <div className="offer" data-testid="number-offer">
      <p>
        <strong>This looks like {count} digits.</strong> The answer above is only the largest of them.
      </p>
      <button type="button" className="btn btn-primary" onClick={onRead}>
        Read it as a number
      </button>
    </div>
  );
}

function SingleDigit({ result, stale, onReadAsNumber }) {
  const verdict = notDigitVerdict(result);
  const offer = looksLikeNumber(result) && onReadAsNumber;
  const unsure = !verdict && isLowConfidence(result);
  return (
    <div className={`result-body${stale ? ' is-stale' : ''}`}>
      {verdict ? (
        <NotADigit verdict={verdict} result={result} />
      ) : (
        <div className="prediction" aria-live="polite" aria-atomic="true">
          <span className="prediction-label">Predicted digit</span>
          <span className="prediction-digit" data-testid="predicted-digit">
            {result.digit}
          </span>
          <span className="prediction-confidence" data-testid="confidence">
            {formatPercent(result.confidence)} confident
          </span>
        </div>
      )}
      {(offer || unsure) && (
        <div className="notes">
          {offer && <NumberOffer count={result.digitCount} onRead={onReadAsNumber} />}
          {unsure && <LowConfidenceHint result={result} />}
        </div>
      )}
      <ProbabilityChart
        probabilities={result.probabilities}
        predicted={result.digit}
        ifDigit={result.isDigit === false}
      />
      {result.input && <ModelInput input={result.input} />}
    </div>
  );
}

export default function ResultPanel({ state, onReadAsNumber }) {
  return (
    <ResultCard state={state} idleText="Draw a digit or upload an image, and the model's answer appears here.">
      {(result) => <SingleDigit result={result} stale={state.status === 'loading'} onReadAsNumber={onReadAsNumber} />}
    </ResultCard>
  );
}
