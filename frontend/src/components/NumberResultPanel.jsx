// The answer to a whole number (POST /read): the reading, large, one row per line, with its confidence, and a
// note when the server turned the picture to read it; the drawing or photo with a box round each character
// the model read (AnnotatedImage); each digit's 28×28 as the model saw it; and a hint naming the least
// certain digit when the server is unsure of one (it says so per digit: is_digit false, reason
// low_confidence). Under the reading, when the server keeps corrections, "Wrong?" (Correction).
import { useEffect, useRef } from 'react';
import { formatPercent } from '../format.js';
import { digitPlace, hasReading, readingCharacters, readingLines, turnNote } from '../reading.js';
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
  const found = hasReading(result);
  const lines = readingLines(result);
  const turned = turnNote(result.orientation);
  const unsureDigit = leastCertainDigit(result.digits);
  const unsurePlace = unsureDigit && digitPlace(result, unsureDigit.index);
  const longest = Math.max(3, ...lines.map((line) => line.length));
  return (
    <div className={`number-body${stale ? ' is-stale' : ''}`}>
      <div className="number-top">
        <div className="prediction number-reading" aria-live="polite" aria-atomic="true">
          <span className="prediction-label">{lines.length > 1 ? `Number read, ${lines.length} lines` : 'Number read'}</span>
          {found ? (
            <>
              <span className="number-text" data-testid="number-text" style={{ '--chars': longest }}>
                {lines.map((line, i) => (
                  <span key={i} className="number-line" data-testid="number-line">
                    {line}
                  </span>
                ))}
              </span>
              {result.confidence !== null && (
                <span className="prediction-confidence" data-testid="number-confidence">
                  {formatPercent(result.confidence)} confident
                </span>
              )}
              {turned && (
                <span className="number-turned" data-testid="number-turned">
                  {turned}
                </span>
              )}
            </>
          ) : (
            <span className="not-digit-title" data-testid="no-digits">
              No digits found
            </span>
          )}
        </div>
        {source?.image && (
          <AnnotatedImage image={source.image} size={source.size ?? null} characters={readingCharacters(result)} ignored={result.ignored} />
        )}
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
          Write the digits apart from each other, in one line or in lines one under another.
        </p>
      )}
      {unsureDigit && (
        <p className="hint" data-testid="number-low-confidence">
          Not sure of every digit — the least certain is the {unsureDigit.digit} in place {unsurePlace.place}
          {unsurePlace.line !== null && ` of line ${unsurePlace.line}`}
          {unsureDigit.confidence !== null && ` (${formatPercent(unsureDigit.confidence)})`}. Write the digits larger, with
          a little space between them.
        </p>
      )}
      {result.digits.length > 0 && <DigitTiles digits={result.digits} />}
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
