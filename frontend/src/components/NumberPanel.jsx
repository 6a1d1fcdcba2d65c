// Number mode: a wide canvas to write a whole number on, or a few in lines (read while drawing, like the
// single digit), or a photo of one. A photo is read as soon as it is chosen, and the canvas is emptied
// (App); dropping or pasting one anywhere on the page while this mode is open does the same.
import { useId } from 'react';
import { ACCEPTED_TYPES } from '../api.js';
import { CANVAS_SIZE, WIDE_CANVAS_WIDTH } from '../drawing.js';
import { formatBytes } from '../format.js';
import DrawPad from './DrawPad.jsx';

export default function NumberPanel({ onRead, onClear, onFile, upload, padHandle }) {
  const inputId = useId();
  const file = upload?.file ?? null;

  const photoPicker = (
    <>
      <input
        id={inputId}
        className="file-input sr-only"
        type="file"
        accept={ACCEPTED_TYPES}
        data-testid="number-file-input"
        onChange={(event) => {
          const chosen = event.target.files?.[0];
          if (chosen) onFile({ file: chosen, note: null });
          event.target.value = ''; // choosing the same file again reads it again
        }}
      />
      <label htmlFor={inputId} className="btn">
        Choose a photo…
      </label>
    </>
  );

  return (
    <div className="number-panel">
      <DrawPad
        handle={padHandle}
        className="number-pad"
        width={WIDE_CANVAS_WIDTH}
        height={CANVAS_SIZE}
        testId="number-canvas"
        hint="Write a number, large, its digits a little apart (several numbers: one line under another); or choose a photo of one."
        actionLabel="Read"
        enterKeyDoes="reads the number"
        liveLabel="Read while drawing"
        onPredict={onRead}
        onClear={onClear}
        extraActions={photoPicker}
      />
      <p className="portrait-tip panel-hint">Turn your phone sideways for a larger canvas.</p>
      {file && (
        <p className="file-info" data-testid="number-file-info">
          <span className="file-name">{file.name || 'pasted image'}</span>
          <span className="file-meta">
            {file.type || 'unknown type'} · {formatBytes(file.size)}
          </span>
          <span className="file-note">read as a number, below</span>
        </p>
      )}
    </div>
  );
}
