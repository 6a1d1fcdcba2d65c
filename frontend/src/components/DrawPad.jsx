// The drawing canvas: white background, thick round black strokes, mouse, pen and touch through Pointer
// Events (the canvas has touch-action: none, so drawing never scrolls the page). Strokes are kept as point
// lists (drawing.js) so that Undo can redraw, and the PNG sent to the server is rendered at a fixed size
// whatever the screen's pixel ratio.
import { useCallback, useEffect, useId, useImperativeHandle, useRef, useState } from 'react';
import { CANVAS_SIZE, paint, paintStroke, renderStrokesToPng } from '../drawing.js';

const LIVE_DELAY_MS = 250;

// handle (optional): a ref that receives { strokes(), size, load(strokes), clear(), predict() }, so that a
// drawing can move from one pad to another, and the page can empty the pad when it reads something else
// (clear() does not call onClear: the answer on screen is about to be replaced). extraActions: more buttons for the toolbar, before the main one.
export default function DrawPad({
  onPredict,
  onClear,
  liveDelayMs = LIVE_DELAY_MS,
  width = CANVAS_SIZE,
  height = CANVAS_SIZE,
  hint = 'Draw one digit, large and centred, with a mouse, pen or finger.',
  actionLabel = 'Predict',
  enterKeyDoes = 'predicts',
  liveLabel = 'Predict while drawing',
  testId = 'draw-canvas',
  className = '',
  extraActions = null,
  handle,
}) {
  const ids = useId();
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
    if (ctx) paint(ctx, strokes.current, pixelRatio(), width, height);
  }, [context, width, height]);

  // Size the backing store for sharp strokes on high-density screens; repaint when that changes.
  useEffect(() => {
    const canvas = canvasRef.current;
    const ratio = pixelRatio();
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    redraw();
  }, [redraw, width, height]);

  const cancelLive = () => {
    clearTimeout(liveTimer.current);
    liveTimer.current = null;
  };
  useEffect(() => cancelLive, []);

  const predictNow = useCallback(async () => {
    cancelLive();
    if (strokes.current.length === 0) return;
    const png = await renderStrokesToPng(strokes.current, width, height);
    onPredict(png, { kind: 'drawing', label: 'your drawing', filename: 'drawing.png', size: { width, height } });
  }, [onPredict, width, height]);

  useImperativeHandle(handle, () => {
    const load = (next) => {
      cancelLive();
      strokes.current = next.map((stroke) => stroke.map((p) => ({ ...p })));
      activePointer.current = null;
      setStrokeCount(strokes.current.length);
      redraw();
    };
    return {
      strokes: () => strokes.current.map((stroke) => stroke.map((p) => ({ ...p }))),
      size: { width, height },
      load,
      clear: () => load([]),
      predict: predictNow,
    };
  }, [predictNow, redraw, width, height]);

  const scheduleLive = () => {
    if (!live) return;
    cancelLive();
    liveTimer.current = setTimeout(predictNow, liveDelayMs);
  };

  const toCanvasPoint = (event) => {
    const rect = canvasRef.current.getBoundingClientRect();
    const scaleX = rect.width ? width / rect.width : 1;
    const scaleY = rect.height ? height / rect.height : 1;
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
    <div className={`drawpad ${className}`.trim()}>
      <p className="panel-hint" id={`${ids}-hint`}>
        {hint}
      </p>
      <div className="canvas-frame">
        <canvas
          ref={canvasRef}
          className="draw-canvas"
          width={width}
          height={height}
          tabIndex={0}
          role="img"
          aria-label={isEmpty ? 'Drawing area, empty' : `Drawing area with ${strokeCount} stroke${strokeCount === 1 ? '' : 's'}`}
          aria-describedby={`${ids}-hint ${ids}-keys`}
          data-testid={testId}
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
      <p className="sr-only" id={`${ids}-keys`}>
        Keys: Control+Z undoes the last stroke, Delete clears, Enter {enterKeyDoes}.
      </p>
      <div className="toolbar">
        <button type="button" className="btn" onClick={undo} disabled={isEmpty}>
          Undo
        </button>
        <button type="button" className="btn" onClick={clear} disabled={isEmpty}>
          Clear
        </button>
        {extraActions}
        <button type="button" className="btn btn-primary" onClick={predictNow} disabled={isEmpty}>
          {actionLabel}
        </button>
      </div>
      <label className="check">
        <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
        {liveLabel}
      </label>
    </div>
  );
}
