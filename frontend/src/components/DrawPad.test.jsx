import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { createRef } from 'react';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import DrawPad from './DrawPad.jsx';
import { CANVAS_SIZE, WIDE_CANVAS_WIDTH, centreStrokes } from '../drawing.js';

const canvas = () => screen.getByTestId('draw-canvas');

function drawStroke(points, pointerId = 1) {
  const [first, ...rest] = points;
  fireEvent.pointerDown(canvas(), { pointerId, pointerType: 'mouse', button: 0, clientX: first[0], clientY: first[1] });
  for (const [x, y] of rest) fireEvent.pointerMove(canvas(), { pointerId, clientX: x, clientY: y });
  fireEvent.pointerUp(canvas(), { pointerId });
}

describe('DrawPad', () => {
  it('starts empty with Predict, Undo and Clear disabled', () => {
    render(<DrawPad onPredict={vi.fn()} />);
    expect(screen.getByRole('button', { name: 'Predict' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Undo' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Clear' })).toBeDisabled();
    expect(canvas()).toHaveAccessibleName('Drawing area, empty');
  });

  it('never lets touch scroll the page while drawing', () => {
    // touch-action: none comes from the stylesheet; the class must be there.
    render(<DrawPad onPredict={vi.fn()} />);
    expect(canvas()).toHaveClass('draw-canvas');
    const css = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../styles.css'), 'utf8');
    expect(css).toMatch(/\.draw-canvas\s*{[^}]*touch-action:\s*none/);
  });

  it('draws thick round black strokes on white', () => {
    render(<DrawPad onPredict={vi.fn()} />);
    const ctx = canvas().getContext('2d');
    drawStroke([[10, 10], [20, 30], [30, 50]]);
    expect(ctx.lineCap).toBe('round');
    expect(ctx.lineWidth).toBeGreaterThanOrEqual(16);
    expect(ctx.strokeStyle).toBe('#000000');
    expect(ctx.fillRect).toHaveBeenCalled();
    expect(ctx.lineTo).toHaveBeenCalledTimes(2);
  });

  it('sends the drawing as a PNG when Predict is pressed', async () => {
    const onPredict = vi.fn();
    render(<DrawPad onPredict={onPredict} liveDelayMs={60_000} />);
    drawStroke([[10, 10], [10, 60]]);
    const predict = screen.getByRole('button', { name: 'Predict' });
    expect(predict).toBeEnabled();
    fireEvent.click(predict);
    await waitFor(() => expect(onPredict).toHaveBeenCalledTimes(1));
    const [blob, source] = onPredict.mock.calls[0];
    expect(blob.type).toBe('image/png');
    expect(source).toMatchObject({ kind: 'drawing', filename: 'drawing.png' });
  });

  it('predicts live, debounced, while drawing', async () => {
    vi.useFakeTimers();
    try {
      const onPredict = vi.fn();
      render(<DrawPad onPredict={onPredict} liveDelayMs={200} />);
      fireEvent.pointerDown(canvas(), { pointerId: 1, button: 0, clientX: 5, clientY: 5 });
      for (let i = 0; i < 5; i++) {
        fireEvent.pointerMove(canvas(), { pointerId: 1, clientX: 5, clientY: 10 + i * 10 });
        await vi.advanceTimersByTimeAsync(50);
      }
      expect(onPredict).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(250);
      expect(onPredict).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not predict live when the option is off', async () => {
    vi.useFakeTimers();
    try {
      const onPredict = vi.fn();
      render(<DrawPad onPredict={onPredict} liveDelayMs={10} />);
      fireEvent.click(screen.getByLabelText('Predict while drawing'));
      drawStroke([[5, 5], [5, 50]]);
      await vi.advanceTimersByTimeAsync(100);
      expect(onPredict).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('undoes the last stroke, and clears', () => {
    const onClear = vi.fn();
    render(<DrawPad onPredict={vi.fn()} onClear={onClear} liveDelayMs={60_000} />);
    drawStroke([[10, 10], [10, 60]]);
    drawStroke([[40, 10], [40, 60]], 2);
    expect(canvas()).toHaveAccessibleName('Drawing area with 2 strokes');
    fireEvent.click(screen.getByRole('button', { name: 'Undo' }));
    expect(canvas()).toHaveAccessibleName('Drawing area with 1 stroke');
    expect(onClear).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    expect(canvas()).toHaveAccessibleName('Drawing area, empty');
    expect(screen.getByRole('button', { name: 'Predict' })).toBeDisabled();
    expect(onClear).toHaveBeenCalledTimes(1);
  });

  it('has keyboard shortcuts: Ctrl+Z undoes, Delete clears', () => {
    render(<DrawPad onPredict={vi.fn()} liveDelayMs={60_000} />);
    drawStroke([[10, 10], [10, 60]]);
    drawStroke([[40, 10], [40, 60]], 2);
    fireEvent.keyDown(canvas(), { key: 'z', ctrlKey: true });
    expect(canvas()).toHaveAccessibleName('Drawing area with 1 stroke');
    fireEvent.keyDown(canvas(), { key: 'Delete' });
    expect(canvas()).toHaveAccessibleName('Drawing area, empty');
  });

  it('ignores a second pointer while a stroke is being drawn', () => {
    render(<DrawPad onPredict={vi.fn()} liveDelayMs={60_000} />);
    fireEvent.pointerDown(canvas(), { pointerId: 1, button: 0, clientX: 5, clientY: 5 });
    fireEvent.pointerDown(canvas(), { pointerId: 2, button: 0, clientX: 50, clientY: 5 });
    fireEvent.pointerUp(canvas(), { pointerId: 1 });
    expect(canvas()).toHaveAccessibleName('Drawing area with 1 stroke');
  });
});

describe('DrawPad, wide (Number mode)', () => {
  const wide = () => screen.getByTestId('number-canvas');

  it('sends a drawing of its own size, points scaled from the displayed size', async () => {
    const onPredict = vi.fn();
    render(<DrawPad onPredict={onPredict} width={WIDE_CANVAS_WIDTH} height={CANVAS_SIZE} testId="number-canvas" actionLabel="Read" liveDelayMs={60_000} />);
    expect(wide()).toHaveAttribute('width', String(WIDE_CANVAS_WIDTH));
    // Shown at half size: a point at (210, 70) on screen is (420, 140) on the canvas.
    wide().getBoundingClientRect = () => ({ left: 0, top: 0, width: WIDE_CANVAS_WIDTH / 2, height: CANVAS_SIZE / 2 });
    fireEvent.pointerDown(wide(), { pointerId: 1, button: 0, clientX: 210, clientY: 70 });
    fireEvent.pointerUp(wide(), { pointerId: 1 });
    const ctx = wide().getContext('2d');
    expect(ctx.arc).toHaveBeenLastCalledWith(420, 140, expect.any(Number), 0, Math.PI * 2);
    fireEvent.click(screen.getByRole('button', { name: 'Read' }));
    await waitFor(() => expect(onPredict).toHaveBeenCalledTimes(1));
    expect(onPredict.mock.calls[0][1]).toMatchObject({ kind: 'drawing', size: { width: WIDE_CANVAS_WIDTH, height: CANVAS_SIZE } });
  });

  it('hands its strokes over and takes others in, through its handle', async () => {
    const handle = createRef();
    const onPredict = vi.fn();
    render(<DrawPad handle={handle} onPredict={onPredict} width={WIDE_CANVAS_WIDTH} testId="number-canvas" liveDelayMs={60_000} />);
    const strokes = [[{ x: 10, y: 10 }, { x: 10, y: 60 }]];
    expect(handle.current.size).toEqual({ width: WIDE_CANVAS_WIDTH, height: CANVAS_SIZE });
    const moved = centreStrokes(strokes, { width: CANVAS_SIZE, height: CANVAS_SIZE }, handle.current.size);
    act(() => handle.current.load(moved));
    expect(wide()).toHaveAccessibleName('Drawing area with 1 stroke');
    expect(handle.current.strokes()).toEqual(moved);
    await act(() => handle.current.predict());
    expect(onPredict).toHaveBeenCalledTimes(1);
  });
});
