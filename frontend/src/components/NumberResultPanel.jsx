// The answer to a whole number (POST /read): the number, large, with its confidence; the drawing or photo
// with a box round each digit the model read (AnnotatedImage); each digit's 28×28 as the model saw it; and a
// hint naming the least certain digit when the server is unsure of one (it says so per digit: is_digit false,
// reason low_confidence). Under the reading, when the server keeps corrections, "Wrong?" (Correction).
import { useEffect, useRef } from 'react';
import { formatPercent } from '../format.js';
import { leastCertainDigit } from '../state.js';
import AnnotatedImage from './AnnotatedImage.jsx';
import Correction from './Correction.jsx';
import ResultCard from './ResultCard.jsx';

// One 28×28 input drawn pixel for pixel; CSS enlarges it without smoothing. White ink on black, like MNIST.
function Input28({ input, label }) {
  const canvasRef = useRef(null);
  useEffect(() => {
    const ctx = canvasRef.current?.getContext('2d');
    if (!ctx) return;
    const pixels = ctx.createImageData(28, 28);
    input.forEach((row, y) =>
      row.forEach((value, x) => {
        const level = Math.round(255 * Math.max(0, Math.min(1, value)));
        pixels.data.set([level, level, level, 255], (y * 28 + x) * 4);
      }),
    );
    ctx.putImageData(pixels, 0, 0);
  }, [input]);
  return <canvas ref={canvasRef} className="tile-input" width={28} height={28} role="img" aria-label={label} />;
}

function DigitTiles({ digits }) {
  return (
    <figure className="tiles">
      <figcaption className="section-title">What the model saw, digit by digit</figcaption>
      <ol className="tile-list" data-testid="digit-tiles">
        {digits.map((d, i) => (
          <li key={i} className="tile">
            {d.input ? (
              <Input28 input={d.input} label={`The 28 by 28 image of digit ${i + 1}, read as ${d.digit}`} />
            ) : (
              <span className="tile-input is-missing" aria-hidden="true" />
            )}
            <span className="tile-digit">{d.digit}</span>
            {d.confidence !== null && <span className="tile-confidence">{formatPercent(d.confidence)}</span>}
          </li>
        ))}
      </ol>
    </figure>
  );
}

function Reading({ result, source, stale, correction }) {
  const found = result.digits.length > 0;
  const unsureDigit = leastCertainDigit(result.digits);
  return (
    <div className={`number-body${stale ? ' is-stale' : ''}`}>
      <div className="number-top">
        <div className="prediction number-reading" aria-live="polite" aria-atomic="true">
          <span className="prediction-label">Number read</span>
          {found ? (
            <>
              <span className="number-text" data-testid="number-text" style={{ '--chars': Math.max(3, result.text.length) }}>
                {result.text}
              </span>
              {result.confidence !== null && (
                <span className="prediction-confidence" data-testid="number-confidence">
                  {formatPercent(result.confidence)} confident
                </span>
              )}
            </>
          ) : (
            <span className="not-digit-title" data-testid="no-digits">
              No digits found
            </span>
          )}
        </div>
        {source?.image && <AnnotatedImage image={source.image} size={source.size ?? null} digits={result.digits} ignored={result.ignored} />}
      </div>
      {correction && source?.image && (
        <Correction
          correction={correction}
          about={{
            kind: 'number',
            image: source.image,
            filename: source.filename,
            predicted: result.text,
            modelVersion: result.modelVersion ?? null,
            doubted: !found || result.digits.some((d) => d.isDigit === false),
          }}
        />
      )}
      {!found && (
        <p className="hint">
          {result.ignored.length
            ? 'The marks in this image do not look like digits (the dashed boxes).'
            : 'Nothing in this image looks like a digit.'}{' '}
          Write the digits in one line, apart from each other.
        </p>
      )}
      {unsureDigit && (
        <p className="hint" data-testid="number-low-confidence">
          Not sure of every digit — the least certain is the {unsureDigit.digit} in place {unsureDigit.index + 1}
          {unsureDigit.confidence !== null && ` (${formatPercent(unsureDigit.confidence)})`}. Write the digits larger, in
          one line, with a little space between them.
        </p>
      )}
      {found && <DigitTiles digits={result.digits} />}
    </div>
  );
}

// correction: the correction of this reading (useCorrection), or null when the server keeps none.
export default function NumberResultPanel({ state, correction = null }) {
  return (
    <ResultCard state={state} idleText="Write a number on the wide canvas or choose a photo of one, and the model's reading appears here.">
      {(result) => <Reading result={result} source={state.resultSource} stale={state.status === 'loading'} correction={correction} />}
    </ResultCard>
  );
}
