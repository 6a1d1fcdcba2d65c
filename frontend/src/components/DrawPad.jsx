// The drawing canvas: white background, thick round black strokes, mouse, pen and touch through Pointer
// Events (the canvas has touch-action: none, so drawing never scrolls the page). Strokes are kept as point
// lists so that Undo can redraw, and the PNG sent to the server is rendered at a fixed size whatever the
// screen's pixel ratio.
import { useCallback, useEffect, useRef, useState } from 'react';

export const CANVAS_SIZE = 280; // logical pixels: 10× MNIST's 28
export const STROKE_WIDTH = 22; // about 2 MNIST pixels, like a pen stroke in the original digits
const LIVE_DELAY_MS = 250;

function paint(ctx, strokes, scale = 1) {
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, CANVAS_SIZE, CANVAS_SIZE);
  ctx.strokeStyle = '#000000';
  ctx.fillStyle = '#000000';
  ctx.lineWidth = STROKE_WIDTH;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const stroke of strokes) paintStroke(ctx, stroke);
}

function paintStroke(ctx, stroke) {
  if (stroke.length === 1) {
    ctx.beginPath();
    ctx.arc(stroke[0].x, stroke[0].y, STROKE_WIDTH / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(stroke[0].x, stroke[0].y);
  for (let i = 1; i < stroke.length; i++) ctx.lineTo(stroke[i].x, stroke[i].y);
  ctx.stroke();
}

// The drawing as a PNG Blob of CANVAS_SIZE × CANVAS_SIZE pixels.
export function renderStrokesToPng(strokes) {
  const canvas = document.createElement('canvas');
  canvas.width = CANVAS_SIZE;
  canvas.height = CANVAS_SIZE;
  const ctx = canvas.getContext('2d');
  if (ctx) paint(ctx, strokes);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the drawing'))), 'image/png');
  });
}

export default function DrawPad({ onPredict, onClear, liveDelayMs = LIVE_DELAY_MS }) {
  const canvasRef = useRef(null);
  const strokes = useRef([]);
  const activePointer = useRef(null);
  const liveTimer = useRef(null);
  const [strokeCount, setStrokeCount] = useState(0);
  const [live, setLive] = useState(true);
  const isEmpty = strokeCount === 0;

  const context = useCallback(() => canvasRef.current?.getContext('2d') ?? null, []);
  const pixelRatio = () => Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));

  const redraw = useCallback(() => {
    const ctx = context();
    if (ctx) paint(ctx, strokes.current, pixelRatio());
  }, [context]);

  // Size the backing store for sharp strokes on high-density screens; repaint when that changes.
  useEffect(() => {
    const canvas = canvasRef.current;
    const ratio = pixelRatio();
    canvas.width = CANVAS_SIZE * ratio;
    canvas.height = CANVAS_SIZE * ratio;
    redraw();
  }, [redraw]);

  const cancelLive = () => {
    clearTimeout(liveTimer.current);
    liveTimer.current = null;
  };
  useEffect(() => cancelLive, []);

  const predictNow = useCallback(async () => {
    cancelLive();
    if (strokes.current.length === 0) return;
    const png = await renderStrokesToPng(strokes.current);
    onPredict(png, { kind: 'drawing', label: 'your drawing', filename: 'drawing.png' });
  }, [onPredict]);

  const scheduleLive = () => {
    if (!live) return;
    cancelLive();
    liveTimer.current = setTimeout(predictNow, liveDelayMs);
  };

  const toCanvasPoint = (event) => {
    const rect = canvasRef.current.getBoundingClientRect();
    const scaleX = rect.width ? CANVAS_SIZE / rect.width : 1;
    const scaleY = rect.height ? CANVAS_SIZE / rect.height : 1;
    return { x: (event.clientX - rect.left) * scaleX, y: (event.clientY - rect.top) * scaleY };
  };

  const handlePointerDown = (event) => {
    if (event.pointerType === 'mouse' && event.button !== 0) return;
    if (activePointer.current !== null) return; // a second finger does not start another stroke
    event.preventDefault();
    activePointer.current = event.pointerId;
    canvasRef.current.setPointerCapture?.(event.pointerId);
    canvasRef.current.focus({ preventScroll: true });
    strokes.current.push([toCanvasPoint(event)]);
    const ctx = context();
    if (ctx) paintStroke(ctx, strokes.current.at(-1));
    setStrokeCount(strokes.current.length);
    scheduleLive();
  };

  const handlePointerMove = (event) => {
    if (event.pointerId !== activePointer.current) return;
    const stroke = strokes.current.at(-1);
    const events = event.nativeEvent?.getCoalescedEvents?.() ?? [];
    const points = (events.length ? events : [event]).map(toCanvasPoint);
    const ctx = context();
    for (const point of points) {
      const last = stroke.at(-1);
      stroke.push(point);
      if (ctx) {
        ctx.beginPath();
        ctx.moveTo(last.x, last.y);
        ctx.lineTo(point.x, point.y);
        ctx.stroke();
      }
    }
    scheduleLive();
  };

  const handlePointerEnd = (event) => {
    if (event.pointerId !== activePointer.current) return;
    activePointer.current = null;
    canvasRef.current.releasePointerCapture?.(event.pointerId);
    scheduleLive();
  };

  const clear = () => {
    cancelLive();
    strokes.current = [];
    activePointer.current = null;
    setStrokeCount(0);
    redraw();
    onClear?.();
  };

  const undo = () => {
    if (strokes.current.length === 0) return;
    strokes.current.pop();
    activePointer.current = null;
    setStrokeCount(strokes.current.length);
    redraw();
    if (strokes.current.length === 0) {
      cancelLive();
      onClear?.();
    } else {
      scheduleLive();
    }
  };

  const handleKeyDown = (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z') {
      event.preventDefault();
      undo();
    } else if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      clear();
    } else if (event.key === 'Enter' && !isEmpty) {
      event.preventDefault();
      predictNow();
    }
  };

  return (
    <div className="drawpad">
      <p className="panel-hint" id="draw-hint">
        Draw one digit, large and centred, with a mouse, pen or finger.
      </p>
      <div className="canvas-frame">
        <canvas
          ref={canvasRef}
          className="draw-canvas"
          width={CANVAS_SIZE}
          height={CANVAS_SIZE}
          tabIndex={0}
          role="img"
          aria-label={isEmpty ? 'Drawing area, empty' : `Drawing area with ${strokeCount} stroke${strokeCount === 1 ? '' : 's'}`}
          aria-describedby="draw-hint draw-keys"
          data-testid="draw-canvas"
          onPointerDown={handlePointerDown}
          onPointerMove={handlePointerMove}
          onPointerUp={handlePointerEnd}
          onPointerCancel={handlePointerEnd}
          onKeyDown={handleKeyDown}
        />
        {isEmpty && (
          <span className="canvas-placeholder" aria-hidden="true">
            Draw here
          </span>
        )}
      </div>
      <p className="sr-only" id="draw-keys">
        Keys: Control+Z undoes the last stroke, Delete clears, Enter predicts.
      </p>
      <div className="toolbar">
        <button type="button" className="btn" onClick={undo} disabled={isEmpty}>
          Undo
        </button>
        <button type="button" className="btn" onClick={clear} disabled={isEmpty}>
          Clear
        </button>
        <button type="button" className="btn btn-primary" onClick={predictNow} disabled={isEmpty}>
          Predict
        </button>
      </div>
      <label className="check">
        <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
        Predict while drawing
      </label>
    </div>
  );
}
