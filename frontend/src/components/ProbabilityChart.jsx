// A column chart of the ten class probabilities; the predicted digit's column is highlighted. Heights are
// set through a CSS custom property (CSSOM, which the page's Content-Security-Policy allows).
import { formatPercent } from '../format.js';

// `ifDigit`: the image was not taken for a digit, and the columns are the probabilities among the digits
// only, should it be one after all.
export default function ProbabilityChart({ probabilities, predicted, ifDigit = false }) {
  return (
    <figure className="chart">
      <figcaption className="section-title">
        {ifDigit ? 'If it is a digit at all: probability of each' : 'Probability of each digit'}
      </figcaption>
      <ol className="bars" data-testid="probability-bars">
        {probabilities.map((p, digit) => (
          <li
            key={digit}
            className={`bar${digit === predicted ? ' is-predicted' : ''}`}
            aria-label={`${digit}: ${formatPercent(p)}`}
          >
            <span className="bar-value" aria-hidden="true">
              {formatPercent(p)}
            </span>
            <span className="bar-track" aria-hidden="true">
              <span className="bar-fill" style={{ '--p': Math.max(0, Math.min(1, p)) }} />
            </span>
            <span className="bar-label" aria-hidden="true">
              {digit}
            </span>
          </li>
        ))}
      </ol>
    </figure>
  );
}
