import { Fragment, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createApiClient } from './api.js';
import { useCorrection } from './correction.js';
import { centreStrokes } from './drawing.js';
import { hasReading, readingLines } from './reading.js';
import { formatPercent } from './format.js';
import { notDigitVerdict, usePrediction, useReading } from './state.js';
import { loadSamples, sampleToPng } from './samples.js';
import { useServerStatus } from './serverStatus.js';
import DrawPad from './components/DrawPad.jsx';
import UploadPanel from './components/UploadPanel.jsx';
import NumberPanel from './components/NumberPanel.jsx';
import ResultPanel from './components/ResultPanel.jsx';
import NumberResultPanel from './components/NumberResultPanel.jsx';
import ServerStatus from './components/ServerStatus.jsx';

const NARROW = '(max-width: 879px)'; // one column: the result is below the input

const MODES = [
  { id: 'draw', label: 'Draw' },
  { id: 'upload', label: 'Upload' },
  { id: 'number', label: 'Number' },
];

function imageFromClipboard(event) {
  for (const item of event.clipboardData?.items ?? []) {
    if (item.kind === 'file' && item.type.startsWith('image/')) return item.getAsFile();
  }
  return null;
}

export default function App({ client: givenClient, random = Math.random }) {
  const client = useMemo(() => givenClient ?? createApiClient(), [givenClient]);
  const { state, predict, reset } = usePrediction(client);
  const { state: reading, read, reset: resetReading } = useReading(client);
  const server = useServerStatus(client);
  // The corrections of the two answers on screen, offered only when the server keeps them (GET /model).
  const keepsCorrections = server.status.state === 'ready' && server.status.feedback;
  const digitCorrection = useCorrection(client, state.result);
  const numberCorrection = useCorrection(client, reading.result);
  const [mode, setMode] = useState('draw');
  const [upload, setUpload] = useState(null);
  const [numberUpload, setNumberUpload] = useState(null);
  const [randomBusy, setRandomBusy] = useState(false);
  const [randomError, setRandomError] = useState(null);
  const digitPad = useRef(null);
  const numberPad = useRef(null);
  const modeNow = useRef(mode); // for the page-wide paste and drop listeners
  useEffect(() => {
    modeNow.current = mode;
  }, [mode]);

  const chooseUpload = useCallback((next) => {
    setUpload(next);
    setMode('upload');
  }, []);

  const predictUpload = useCallback(
    (file) => predict(file, { kind: 'upload', label: file.name || 'the pasted image', filename: file.name || 'pasted.png' }),
    [predict],
  );

  // Number mode reads a photo as soon as it is chosen; the wide canvas is emptied, so that no old drawing
  // stays beside the photo's reading.
  const chooseNumberUpload = useCallback(
    (next) => {
      numberPad.current?.clear();
      setNumberUpload(next);
      setMode('number');
      read(next.file, { kind: 'upload', label: next.file.name || 'the pasted image', filename: next.file.name || 'pasted.png' });
    },
    [read],
  );

  // A pasted or dropped file goes to the mode on screen: a number in Number mode, else one digit.
  const takeFile = useCallback(
    (next) => (modeNow.current === 'number' ? chooseNumberUpload(next) : chooseUpload(next)),
    [chooseNumberUpload, chooseUpload],
  );

  // The single-digit answer saw several digits: read the same drawing (moved onto the wide canvas) or the
  // same file as a number.
  const readAsNumber = () => {
    const source = state.resultSource;
    if (!source?.image) return;
    setMode('number');
    if (source.kind === 'drawing' && digitPad.current && numberPad.current) {
      const from = digitPad.current.size;
      numberPad.current.load(centreStrokes(digitPad.current.strokes(), from, numberPad.current.size));
      setNumberUpload(null);
      numberPad.current.predict();
    } else {
      chooseNumberUpload({ file: source.image, note: null });
    }
  };

  // Paste an image anywhere on the page (not into a text field): it becomes the upload.
  useEffect(() => {
    const onPaste = (event) => {
      const file = imageFromClipboard(event);
      if (!file) return;
      event.preventDefault();
      takeFile({ file, note: 'pasted from the clipboard' });
    };
    document.addEventListener('paste', onPaste);
    return () => document.removeEventListener('paste', onPaste);
  }, [takeFile]);

  // A file dropped anywhere on the page becomes the upload (instead of the browser opening it).
  useEffect(() => {
    const onDragOver = (event) => event.preventDefault();
    const onDrop = (event) => {
      if (event.defaultPrevented) return; // the drop zone took it
      event.preventDefault();
      const file = event.dataTransfer?.files?.[0];
      if (file) takeFile({ file, note: null });
    };
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
    };
  }, [takeFile]);

  const randomDigit = async () => {
    setRandomBusy(true);
    setRandomError(null);
    try {
      const samples = await loadSamples();
      const index = Math.floor(random() * samples.images.dims[0]);
      const { file, label } = await sampleToPng(samples, index);
      chooseUpload({ file, note: `MNIST test digit, labelled ${label}` });
      predictUpload(file);
    } catch (err) {
      setRandomError(`Could not load the test digits: ${err.message}`);
    } finally {
      setRandomBusy(false);
    }
  };

  // Bring an upload's answer into view where it is below the input: on one-column screens, and in Number mode
  // (not a drawing's: the user is still drawing).
  const numberMode = mode === 'number';
  const shown = numberMode ? reading : state;
  const answered = shown.status === 'done' || shown.status === 'error';
  useEffect(() => {
    if (answered && shown.source?.kind === 'upload' && (numberMode || globalThis.matchMedia?.(NARROW).matches)) {
      document.getElementById('result-heading')?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
    }
  }, [answered, shown.source, numberMode]);
  const verdict = notDigitVerdict(state.result);

  const onTabKey = (event) => {
    const index = MODES.findIndex((m) => m.id === mode);
    let next = null;
    if (event.key === 'ArrowRight') next = MODES[(index + 1) % MODES.length];
    if (event.key === 'ArrowLeft') next = MODES[(index + MODES.length - 1) % MODES.length];
    if (event.key === 'Home') next = MODES[0];
    if (event.key === 'End') next = MODES[MODES.length - 1];
    if (next) {
      event.preventDefault();
      setMode(next.id);
      document.getElementById(`tab-${next.id}`)?.focus();
    }
  };

  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <svg className="brand-mark" viewBox="0 0 64 64" aria-hidden="true">
            <rect width="64" height="64" rx="14" />
            <path d="M20 18h24L28 48" />
          </svg>
          <div>
            <h1>Handwritten Digit Recognizer</h1>
            <p className="tagline">Draw or upload a digit or a number; a convolutional network trained on MNIST reads it.</p>
          </div>
        </div>
        <ServerStatus status={server.status} onRetry={server.retry} />
      </header>

      <main className={`layout${numberMode ? ' is-number' : ''}`}>
        <section className="card input" aria-label="Your digit">
          <div className="tabs" role="tablist" aria-label="How to give a digit">
            {MODES.map((m) => (
              <button
                key={m.id}
                id={`tab-${m.id}`}
                type="button"
                role="tab"
                className="tab"
                aria-selected={mode === m.id}
                aria-controls={`panel-${m.id}`}
                tabIndex={mode === m.id ? 0 : -1}
                onClick={() => setMode(m.id)}
                onKeyDown={onTabKey}
              >
                {m.label}
              </button>
            ))}
          </div>
          <div id="panel-draw" role="tabpanel" aria-labelledby="tab-draw" hidden={mode !== 'draw'}>
            <DrawPad handle={digitPad} onPredict={predict} onClear={() => state.source?.kind === 'drawing' && reset()} />
            {state.result && state.source?.kind === 'drawing' && (
              <p className="inline-result" aria-hidden="true">
                {verdict ? (
                  <>
                    {verdict.title}
                    <span>
                      {' '}
                      · best guess {state.result.digit}, {formatPercent(state.result.confidence)} · details below
                    </span>
                  </>
                ) : (
                  <>
                    Model reads <strong>{state.result.digit}</strong>
                    <span>{formatPercent(state.result.confidence)} confident · details below</span>
                  </>
                )}
              </p>
            )}
          </div>
          <div id="panel-upload" role="tabpanel" aria-labelledby="tab-upload" hidden={mode !== 'upload'}>
            <UploadPanel
              upload={upload}
              onFile={chooseUpload}
              onPredict={predictUpload}
              busy={state.status === 'loading' && state.source?.kind === 'upload'}
              onRandom={randomDigit}
              randomBusy={randomBusy}
              notice={randomError}
            />
          </div>
          <div id="panel-number" role="tabpanel" aria-labelledby="tab-number" hidden={mode !== 'number'}>
            <NumberPanel
              padHandle={numberPad}
              onRead={(png, source) => {
                setNumberUpload(null);
                read(png, source);
              }}
              onClear={() => reading.source?.kind === 'drawing' && resetReading()}
              onFile={chooseNumberUpload}
              upload={numberUpload}
            />
            {reading.result && reading.source?.kind === 'drawing' && hasReading(reading.result) && (
              <p className="inline-result is-number" aria-hidden="true">
                Model reads{' '}
                {readingLines(reading.result).map((line, i) => (
                  <Fragment key={i}>
                    {i > 0 && <span className="line-break-mark"> ⏎ </span>}
                    <strong>{line}</strong>
                  </Fragment>
                ))}
                <span>
                  {reading.result.confidence !== null && `${formatPercent(reading.result.confidence)} confident · `}details below
                </span>
              </p>
            )}
          </div>
        </section>

        {numberMode ? (
          <NumberResultPanel state={reading} correction={keepsCorrections ? numberCorrection : null} />
        ) : (
          <ResultPanel state={state} onReadAsNumber={readAsNumber} correction={keepsCorrections ? digitCorrection : null} />
        )}
      </main>

      <footer className="app-footer">
        <p>
          The model sees a 28 × 28 grey image, like the MNIST digits it learnt from. Images are not stored
          {keepsCorrections && ', unless you send one as a correction'}.
        </p>
      </footer>
    </div>
  );
}
