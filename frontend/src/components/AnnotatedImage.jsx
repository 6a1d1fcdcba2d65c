// The drawing or photo that was read, with a box round each character the model read: a digit's box with the
// digit and its confidence, marked unsure where the server is unsure of the digit; a mark's (. , - / :) in a
// style of its own; dashed, each mark it left out. Boxes come in the image's own pixels and are placed in
// percent of it (geometry.js).
import { useState } from 'react';
import { formatPercent } from '../format.js';
import { boxPlacement, nearRightEdge } from '../geometry.js';
import { useObjectUrlSrc } from '../objectUrl.js';
import { MARK_NAMES } from '../reading.js';

// labelAt: where the label goes, so that the labels of one line do not cover the characters of another:
// 'above' the box (one line, or the first), 'below' it (the last of several), 'inside' it (a line between).
function CharacterBox({ character, natural, labelAt }) {
  const { char, confidence, box, isMark, unsure } = character;
  const classes = [
    'digit-box',
    isMark && 'is-mark',
    unsure && 'is-unsure',
    nearRightEdge(box, natural) && 'is-right',
    labelAt !== 'above' && `label-${labelAt}`,
  ].filter(Boolean);
  return (
    <span
      className={classes.join(' ')}
      style={boxPlacement(box, natural)}
      data-testid={isMark ? 'mark-box' : 'digit-box'}
      title={isMark ? `${MARK_NAMES[char] ?? char}${confidence !== null ? `, ${formatPercent(confidence)}` : ''}` : undefined}
    >
      <span className="digit-box-label">
        {char}
        {!isMark && confidence !== null && <small> {formatPercent(confidence)}</small>}
      </span>
    </span>
  );
}

// characters: readingCharacters (reading.js).
export default function AnnotatedImage({ image, size = null, characters, ignored = [] }) {
  const imageSrc = useObjectUrlSrc(image);
  const [loaded, setLoaded] = useState(null); // { image, size }: the size of the image last loaded
  const natural = size ?? (loaded?.image === image ? loaded.size : null);

  const lastLine = Math.max(0, ...characters.map((c) => c.line ?? 0));
  const labelAt = (line = 0) => (line === 0 ? 'above' : line === lastLine ? 'below' : 'inside');

  const onLoad = (event) => {
    const img = event.currentTarget;
    if (img.naturalWidth > 0 && img.naturalHeight > 0) setLoaded({ image, size: { width: img.naturalWidth, height: img.naturalHeight } });
  };

  return (
    <figure className="annotated">
      <figcaption className="section-title">Where the model found them</figcaption>
      <div
        className={`annotated-frame${lastLine > 0 ? ' is-lines' : ''}`}
        data-testid="annotated-image"
        style={natural ? { '--aspect': natural.width / natural.height } : undefined}
      >
        <img ref={imageSrc} alt="The image that was read, with a box round each character" onLoad={onLoad} />
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
        {natural && characters.map((c, i) => <CharacterBox key={`char-${i}`} character={c} natural={natural} labelAt={labelAt(c.line)} />)}
      </div>
    </figure>
  );
}
