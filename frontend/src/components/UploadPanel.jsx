// Upload: a file picker, drag and drop, paste from the clipboard (App listens for paste on the whole
// page), a preview and a Predict button. The chosen file lives in App so that paste and the random test
// digit can set it too.
import { useId, useState } from 'react';
import { ACCEPTED_TYPES, MAX_UPLOAD_BYTES } from '../api.js';
import { formatBytes } from '../format.js';
import { useObjectUrlSrc } from '../objectUrl.js';

export default function UploadPanel({ upload, onFile, onPredict, busy = false, onRandom, randomBusy = false, notice = null }) {
  const inputId = useId();
  const [dragging, setDragging] = useState(false);
  const [unpreviewable, setUnpreviewable] = useState(null); // the file whose preview failed to load
  const file = upload?.file ?? null;
  const previewSrc = useObjectUrlSrc(file);
  const showPreview = file !== null && file.type.startsWith('image/') && unpreviewable !== file;

  const choose = (chosen, note = null) => {
    if (chosen) onFile({ file: chosen, note });
  };

  const handleDrop = (event) => {
    event.preventDefault();
    setDragging(false);
    choose(event.dataTransfer?.files?.[0]);
  };

  const handleDragOver = (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };

  return (
    <div className="upload">
      <div
        className={`dropzone${dragging ? ' is-dragging' : ''}`}
        data-testid="dropzone"
        onDragOver={handleDragOver}
        onDragEnter={handleDragOver}
        onDragLeave={() => setDragging(false)}
        onDrop={handleDrop}
      >
        {showPreview ? (
          <img
            ref={previewSrc}
            className="preview"
            alt={`Preview of ${file.name || 'the chosen image'}`}
            onError={() => setUnpreviewable(file)}
          />
        ) : (
          <div className="dropzone-empty">
            {file ? (
              <span>No preview for this file</span>
            ) : (
              <>
                <svg className="dropzone-icon" viewBox="0 0 24 24" aria-hidden="true">
                  <path d="M12 16V4m0 0-4 4m4-4 4 4M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" />
                </svg>
                <span>Drop an image here or paste one (Ctrl+V)</span>
              </>
            )}
          </div>
        )}
      </div>

      {file && (
        <p className="file-info" data-testid="file-info">
          <span className="file-name">{file.name || 'pasted image'}</span>
          <span className="file-meta">
            {file.type || 'unknown type'} · {formatBytes(file.size)}
          </span>
          {upload.note && <span className="file-note">{upload.note}</span>}
        </p>
      )}

      <div className="toolbar upload-actions">
        <input
          id={inputId}
          className="file-input sr-only"
          type="file"
          accept={ACCEPTED_TYPES}
          data-testid="file-input"
          onChange={(event) => {
            choose(event.target.files?.[0]);
            event.target.value = ''; // choosing the same file again still counts as a choice
          }}
        />
        <label htmlFor={inputId} className="btn">
          Choose image…
        </label>
        {onRandom && (
          <button type="button" className="btn" onClick={onRandom} disabled={randomBusy}>
            Random test digit
          </button>
        )}
        <button type="button" className="btn btn-primary" onClick={() => onPredict(file)} disabled={!file || busy}>
          Predict
        </button>
      </div>
      {notice && (
        <p className="notice" role="alert">
          {notice}
        </p>
      )}
      <p className="panel-hint">PNG, JPEG, BMP or GIF, up to {formatBytes(MAX_UPLOAD_BYTES)}. Any colours: the server finds the ink.</p>
    </div>
  );
}
