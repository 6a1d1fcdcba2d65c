// jsdom has no canvas, no PointerEvent and no object URLs: small stand-ins so that components render and
// their handlers run. Drawing calls are recorded (vi.fn) rather than rasterised.
import '@testing-library/jest-dom/vitest';
import { afterEach, vi } from 'vitest';
import { cleanup } from '@testing-library/react';

afterEach(() => cleanup());

function fakeContext() {
  const methods = ['fillRect', 'beginPath', 'moveTo', 'lineTo', 'stroke', 'arc', 'fill', 'setTransform', 'putImageData'];
  const ctx = Object.fromEntries(methods.map((m) => [m, vi.fn()]));
  ctx.createImageData = (w, h) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) });
  return ctx;
}

HTMLCanvasElement.prototype.getContext = function getContext() {
  this.__ctx ??= fakeContext();
  return this.__ctx;
};
HTMLCanvasElement.prototype.toBlob = function toBlob(callback, type = 'image/png') {
  setTimeout(() => callback(new Blob(['fake png'], { type })), 0);
};

if (!globalThis.PointerEvent) {
  class PointerEvent extends MouseEvent {
    constructor(type, init = {}) {
      super(type, init);
      this.pointerId = init.pointerId ?? 1;
      this.pointerType = init.pointerType ?? 'mouse';
    }
  }
  globalThis.PointerEvent = PointerEvent;
}

URL.createObjectURL ??= () => 'blob:fake';
URL.revokeObjectURL ??= () => {};
