// A column chart of the chance of each answer (chances.js): the ten digits, then "not a digit"; the eleven sum
// to 100%, and the predicted digit's column, highlighted, is the confidence the page prints beside it. Heights
// are set through a CSS custom property (CSSOM, which the page's Content-Security-Policy allows).
import { formatPercent } from '../format.js';

// chances: { digits: [10 numbers], notADigit } (answerChances); predicted: the digit answered.
export default function ProbabilityChart({ chances, predicted }) {
  const bars = [
    ...chances.digits.map((chance, digit) => ({ key: String(digit), label: String(digit), chance, predicted: digit === predicted })),
    // Drawn with a no-break space after "not", so that it takes two lines in its narrow column, not three.
    { key: 'not-a-digit', label: 'not a digit', drawn: 'not\u00a0a digit', chance: chances.notADigit, predicted: false },
  ];
  return (
    <figure className="chart">
      <figcaption className="section-title">Chance of each answer</figcaption>
      <ol className="bars" data-testid="probability-bars">
        {bars.map((bar) => (
          <li
            key={bar.key}
            className={`bar${bar.predicted ? ' is-predicted' : ''}${bar.key === 'not-a-digit' ? ' is-not-digit' : ''}`}
            aria-label={`${bar.label}: ${formatPercent(bar.chance)}`}
          >
            <span className="bar-value" aria-hidden="true">
              {formatPercent(bar.chance)}
            </span>
            <span className="bar-track" aria-hidden="true">
              <span className="bar-fill" style={{ '--p': Math.max(0, Math.min(1, bar.chance)) }} />
            </span>
            <span className="bar-label" aria-hidden="true">
              {bar.drawn ?? bar.label}
            </span>
          </li>
        ))}
      </ol>
    </figure>
  );
}
