// The result: the digit, large, with its confidence; the chance of each answer (ProbabilityChart, whose column
// for the digit is the confidence printed: one figure per thing); the 28×28 input. When the server says the
// image is not a digit, the page says so plainly and shows the best guess small, and when the server is unsure
// which digit it is (reason low_confidence), names the runner-up, with its chance as the chart draws it; when
// the image holds several digits, it offers to read them as a number. Under the answer, when the server keeps
// corrections, "Wrong?" (Correction). Errors are shown here too (ResultCard).
import { answerChances } from '../chances.js';
import { formatPercent } from '../format.js';
import { isLowConfidence, looksLikeNumber, notDigitVerdict, topTwo } from '../state.js';
import Correction from './Correction.jsx';
import ModelInput from './ModelInput.jsx';
import ProbabilityChart from './ProbabilityChart.jsx';
import ResultCard from './ResultCard.jsx';

function LowConfidenceHint({ chances }) {
  const [, second] = topTwo(chances.digits);
  return (
    <p className="hint" data-testid="low-confidence">
      It could also be a {second.digit} ({formatPercent(second.probability)}). Try a larger digit, centred, with one
      clear stroke.
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

function SingleDigit({ result, source, stale, onReadAsNumber, correction }) {
  const verdict = notDigitVerdict(result);
  const offer = looksLikeNumber(result) && onReadAsNumber;
  const unsure = isLowConfidence(result);
  const chances = answerChances(result);
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
      {correction && source?.image && (
        <Correction
          correction={correction}
          about={{
            kind: 'digit',
            image: source.image,
            filename: source.filename,
            predicted: String(result.digit),
            modelVersion: result.modelVersion ?? null,
            doubted: result.isDigit === false,
          }}
        />
      )}
      {(offer || unsure) && (
        <div className="notes">
          {offer && <NumberOffer count={result.digitCount} onRead={onReadAsNumber} />}
          {unsure && <LowConfidenceHint chances={chances} />}
        </div>
      )}
      <ProbabilityChart chances={chances} predicted={result.digit} />
      {result.input && <ModelInput input={result.input} />}
    </div>
  );
}

// correction: the correction of this answer (useCorrection), or null when the server keeps none.
export default function ResultPanel({ state, onReadAsNumber, correction = null }) {
  return (
    <ResultCard state={state} idleText="Draw a digit or upload an image, and the model's answer appears here.">
      {(result) => (
        <SingleDigit
          result={result}
          source={state.resultSource}
          stale={state.status === 'loading'}
          onReadAsNumber={onReadAsNumber}
          correction={correction}
        />
      )}
    </ResultCard>
  );
}
