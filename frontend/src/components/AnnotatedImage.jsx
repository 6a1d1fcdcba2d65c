// The drawing or photo that was read, with a box round each digit the model read (dashed, each mark it left
// out; marked unsure where the server is unsure of the digit). Boxes come in the image's own pixels and are
// placed in percent of it (geometry.js).
import { useState } from 'react';
import { formatPercent } from '../format.js';
import { boxPlacement, nearRightEdge } from '../geometry.js';
import { useObjectUrlSrc } from '../objectUrl.js';
import { isLowConfidence } from '../state.js';

// image: the Blob that was read; size: its pixel size when known beforehand (a drawing), else taken from the
// loaded image (a photo: the browser applies its EXIF orientation, as the server does).
export default function AnnotatedImage({ image, size = null, digits, ignored = [] }) {
  const imageSrc = useObjectUrlSrc(image);
  const [loaded, setLoaded] = useState(null); // { image, size }: the size of the image last loaded
  const natural = size ?? (loaded?.image === image ? loaded.size : null);

  const onLoad = (event) => {
    const img = event.currentTarget;
    if (img.naturalWidth > 0 && img.naturalHeight > 0) setLoaded({ image, size: { width: img.naturalWidth, height: img.naturalHeight } });
  };

  return (
    <figure className="annotated">
      <figcaption className="section-title">Where the model found them</figcaption>
      <div
        className="annotated-frame"
        data-testid="annotated-image"
        style={natural ? { '--aspect': natural.width / natural.height } : undefined}
      >
        <img ref={imageSrc} alt="The image that was read, with a box round each digit" onLoad={onLoad} />
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
              className={`digit-box${isLowConfidence(d) ? ' is-unsure' : ''}${nearRightEdge(d.box, natural) ? ' is-right' : ''}`}
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
