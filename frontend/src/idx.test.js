import { describe, expect, it } from 'vitest';
import { idxImage, parseIdx } from './idx.js';

function idx(dims, data) {
  const header = new Uint8Array(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

describe('parseIdx', () => {
  it('reads the dimensions and the data', () => {
    const images = parseIdx(idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    expect(images.dims).toEqual([2, 2, 2]);
    expect(Array.from(idxImage(images, 1))).toEqual([5, 6, 7, 8]);
  });
  it('rejects a wrong magic number and truncated data', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 9, 1, 0, 0, 0, 1, 0]))).toThrow(/IDX/);
    expect(() => parseIdx(idx([3, 2, 2], [1, 2, 3]))).toThrow(/truncated/);
  });
  it('rejects an image index out of range', () => {
    expect(() => idxImage(parseIdx(idx([1, 1, 1], [0])), 1)).toThrow(RangeError);
  });
});
