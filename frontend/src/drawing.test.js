import { describe, expect, it } from 'vitest';
import { CANVAS_SIZE, WIDE_CANVAS_WIDTH, centreStrokes } from './drawing.js';

describe('centreStrokes', () => {
  it('moves a drawing from the square pad to the middle of the wide one, at the same scale', () => {
    const strokes = [[{ x: 10, y: 10 }, { x: 10, y: 60 }]];
    const moved = centreStrokes(strokes, { width: CANVAS_SIZE, height: CANVAS_SIZE }, { width: WIDE_CANVAS_WIDTH, height: CANVAS_SIZE });
    expect(moved).toEqual([[{ x: 290, y: 10 }, { x: 290, y: 60 }]]);
  });
});
