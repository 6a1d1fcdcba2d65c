// The answer to a whole number (POST /read): the number, large, with its confidence; the drawing or photo
// with a box round each digit the model read (and, dashed, each mark it left out); and each digit's 28×28 as
// the model saw it. Boxes come in the image's own pixels and are placed in percent of it, so they stay on
// their digits whatever size the image is shown at.
import { useEffect, useRef, useState } from 'react';
import { LOW_CONFIDENCE } from '../state.js';
import { ResultCard } from './ResultPanel.jsx';
import { formatPercent } from './ProbabilityChart.jsx';

function useObjectUrl(blob) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    if (!blob || !globalThis.URL?.createObjectURL) {
      setUrl(null);
      return undefined;
    }
    const objectUrl = URL.createObjectURL(blob);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [blob]);
  return url;
}

const percent = (part, whole) => `${((100 * part) / whole).toFixed(3)}%`;

// box: [x, y, w, h] in the pixels of an image of size { width, height } → CSS placement over that image.
export function boxPlacement(box, size) {
  const [x, y, w, h] = box;
  return { left: percent(x, size.width), top: percent(y, size.height), width: percent(w, size.width), height: percent(h, size.height) };
}

// image: the Blob that was read; size: its pixel size when known beforehand (a drawing), else taken from the
// loaded image (a photo: the browser applies its EXIF orientation, as the server does).
// A box near the right edge has its label aligned to its right side, so that the label stays over the image.
const nearRightEdge = (box, size) => box[0] + box[2] > 0.85 * size.width;

export function AnnotatedImage({ image, size = null, digits, ignored = [] }) {
  const url = useObjectUrl(image);
  const [loadedSize, setLoadedSize] = useState(null);
  useEffect(() => setLoadedSize(null), [image]);
  const natural = size ?? loadedSize;
  if (!url) return null;

  const onLoad = (event) => {
    const img = event.currentTarget;
    if (img.naturalWidth > 0 && img.naturalHeight > 0) setLoadedSize({ width: img.naturalWidth, height: img.naturalHeight });
  };

  return (
    <figure className="annotated">
      <figcaption className="section-title">Where the model found them</figcaption>
      <div
        className="annotated-frame"
        data-testid="annotated-image"
        style={natural ? { '--aspect': natural.width / natural.height } : undefined}
      >
        <img src={url} alt="The image that was read, with a box round each digit" onLoad={onLoad} />
        {natural &&
          ignored.map((mark, i) => (
            <span
              key={`ignored-${i}`}
              className={`digit-box is-ignored${nearRightEdge(mark.box, natural) ? ' is-right' : ''}`}
              style={boxPlacement(mark.box, natural)}
              data-testid="ignored-box"
            >
              <span className="digit-box-label">ignored</span>
            </span>
          ))}
        {natural &&
          digits.map((d, i) => (
            <span
              key={`digit-${i}`}
              className={`digit-box${d.confidence !== null && d.confidence < LOW_CONFIDENCE ? ' is-unsure' : ''}${nearRightEdge(d.box, natural) ? ' is-right' : ''}`}
              style={boxPlacement(d.box, natural)}
              data-testid="digit-box"
            >
              <span className="digit-box-label">
                {d.digit}
                {d.confidence !== null && <small> {formatPercent(d.confidence)}</small>}
              </span>
            </span>
          ))}
      </div>
    </figure>
  );
}

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

// The least certain digit, for the hint: { index, digit }.
function leastCertain(digits) {
  let worst = null;
  digits.forEach((d, index) => {
    if (d.confidence !== null && (worst === null || d.confidence < worst.confidence)) worst = { ...d, index };
  });
  return worst;
}

function Reading({ result, source, stale }) {
  const found = result.digits.length > 0;
  const unsure = found && result.confidence !== null && result.confidence < LOW_CONFIDENCE;
  const worst = unsure ? leastCertain(result.digits) : null;
  const unsureDigit = worst && worst.confidence < LOW_CONFIDENCE ? worst : null;
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
      {!found && (
        <p className="hint">
          {result.ignored.length
            ? 'The marks in this image do not look like digits (the dashed boxes).'
            : 'Nothing in this image looks like a digit.'}{' '}
          Write the digits in one line, apart from each other.
        </p>
      )}
      {unsure && (
        <p className="hint" data-testid="number-low-confidence">
          {unsureDigit
            ? `Not sure of every digit — the least certain is the ${unsureDigit.digit} in place ${unsureDigit.index + 1} (${formatPercent(unsureDigit.confidence)}). `
            : 'Not sure where one digit ends and the next begins. '}
          Write the digits larger, in one line, with a little space between them.
        </p>
      )}
      {found && <DigitTiles digits={result.digits} />}
    </div>
  );
}

export default function NumberResultPanel({ state }) {
  return (
    <ResultCard state={state} idleText="Write a number on the wide canvas or choose a photo of one, and the model's reading appears here.">
      {(result) => <Reading result={result} source={state.resultSource} stale={state.status === 'loading'} />}
    </ResultCard>
  );
}
