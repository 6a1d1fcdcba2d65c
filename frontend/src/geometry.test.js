import { describe, expect, it } from 'vitest';
import { boxPlacement, nearRightEdge } from './geometry.js';

describe('boxPlacement', () => {
  it('turns a box in image pixels into percent of the image', () => {
    expect(boxPlacement([84, 28, 168, 140], { width: 840, height: 280 })).toEqual({
      left: '10.000%',
      top: '10.000%',
      width: '20.000%',
      height: '50.000%',
    });
  });
});

describe('nearRightEdge', () => {
  it('takes a box ending in the last 15% of the width for one at the right edge', () => {
    const size = { width: 840, height: 280 };
    expect(nearRightEdge([780, 20, 50, 50], size)).toBe(true);
    expect(nearRightEdge([20, 10, 60, 100], size)).toBe(false);
  });
});
