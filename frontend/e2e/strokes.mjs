// Handwritten digits and marks (. , - / :) as pen strokes, the way a person writes them: each character is a
// list of strokes, each stroke a list of points in a box 1 tall (y down; a digit 0.6 wide). The browser test
// moves the mouse along them on the wide canvas; photoOfNumber rasterises them, with ink and paper, into a
// photo-like test image.
import { encodeGreyPng } from './png.mjs';

const arc = (cx, cy, rx, ry, fromDeg, toDeg, steps = 16) =>
  Array.from({ length: steps + 1 }, (_, i) => {
    const a = ((fromDeg + ((toDeg - fromDeg) * i) / steps) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
  });

export const DIGIT_STROKES = {
  0: [arc(0.3, 0.5, 0.27, 0.48, -100, 265, 28)],
  1: [[[0.14, 0.2], [0.34, 0.02], [0.34, 1]]],
  2: [[...arc(0.3, 0.27, 0.25, 0.25, 200, 380, 10), [0.4, 0.55], [0.2, 0.78], [0.03, 0.98], [0.32, 0.98], [0.6, 0.98]]],
  3: [[...arc(0.29, 0.24, 0.24, 0.23, 210, 450, 12), ...arc(0.29, 0.72, 0.28, 0.27, -90, 150, 12)]],
  4: [
    [[0.38, 0], [0.2, 0.35], [0.02, 0.66], [0.6, 0.66]],
    [[0.46, 0.28], [0.46, 1]],
  ],
  5: [
    [[0.56, 0.02], [0.1, 0.02], [0.06, 0.45], ...arc(0.3, 0.7, 0.28, 0.28, -120, 150, 14)],
  ],
  6: [[[0.48, 0.02], [0.25, 0.2], [0.08, 0.5], ...arc(0.3, 0.72, 0.24, 0.27, 180, 540, 20)]],
  7: [[[0.02, 0.03], [0.58, 0.03], [0.4, 0.45], [0.22, 1]]],
  8: [[...arc(0.3, 0.25, 0.22, 0.24, 90, -270, 18), ...arc(0.3, 0.74, 0.27, 0.26, -90, 270, 20)]],
  9: [[...arc(0.3, 0.27, 0.25, 0.25, 0, -360, 20), [0.55, 0.6], [0.5, 1]]],
};

// The marks of a number written by hand, in the same box as the digits (1 tall, y down), each with its width:
// a point is a short dab on the line, a comma a dab with a tail below it.
export const MARK_STROKES = {
  '.': { width: 0.2, strokes: [[[0.08, 0.9], [0.12, 0.95]]] },
  ',': { width: 0.2, strokes: [[[0.12, 0.86], [0.12, 0.96], [0.04, 1.1]]] },
  '-': { width: 0.4, strokes: [[[0.02, 0.55], [0.38, 0.55]]] },
  '/': { width: 0.45, strokes: [[[0.43, 0.02], [0.02, 0.98]]] },
  ':': { width: 0.2, strokes: [[[0.08, 0.3], [0.12, 0.35]], [[0.08, 0.85], [0.12, 0.9]]] },
};

const characterShape = (ch) => MARK_STROKES[ch] ?? { width: 0.6, strokes: DIGIT_STROKES[ch] };

// The characters of `text` (digits and the marks above) laid out left to right: each `height` tall, `gap` ×
// height apart, the whole centred on (cx, cy). Returns [{ digit (the character), centreX, width, strokes:
// [[{ x, y }, …], …] }, …].
export function layoutDigits(text, { cx, cy, height, gap = 0.35 }) {
  const shapes = [...text].map(characterShape);
  const total = shapes.reduce((sum, s) => sum + s.width * height, 0) + (text.length - 1) * gap * height;
  const top = cy - height / 2;
  let left = cx - total / 2;
  return [...text].map((digit, i) => {
    const { width, strokes } = shapes[i];
    const placed = { digit, centreX: left + (width * height) / 2, width: width * height, strokes: strokes.map((stroke) => stroke.map(([x, y]) => ({ x: left + x * height, y: top + y * height }))) };
    left += width * height + gap * height;
    return placed;
  });
}

export const isMark = (ch) => ch in MARK_STROKES;

// The box round the points of some strokes (their centre lines): { cx, cy, w, h }.
export function inkBox(strokes) {
  const points = strokes.flat();
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, w: x1 - x0, h: y1 - y0 };
}

// The strokes of `text` (see layoutDigits), all in one list.
export function numberStrokes(text, options) {
  return layoutDigits(text, options).flatMap((d) => d.strokes);
}

// A small deterministic random source, so that the test image is the same every run.
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// A grey PNG that looks like a phone photo of pen strokes on paper: light paper lit unevenly (brighter at one
// corner), sensor noise, a few specks, and dark ink whose strokes vary a little in width.
export function photoOfStrokes(strokes, { width, height, strokeWidth, seed = 7 }) {
  const rand = random(seed);
  const paper = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const light = 0.74 + 0.12 * (1 - x / width) + 0.08 * (1 - y / height);
      paper[y * width + x] = 255 * light + (rand() - 0.5) * 18;
    }
  }
  for (let i = 0; i < 40; i++) {
    const sx = Math.floor(rand() * width);
    const sy = Math.floor(rand() * height);
    paper[sy * width + sx] -= 50 + 40 * rand();
  }

  const ink = new Float32Array(width * height); // coverage 0..1
  for (const stroke of strokes) {
    for (let i = 1; i < stroke.length; i++) {
      const a = stroke[i - 1];
      const b = stroke[i];
      const radius = (strokeWidth * (0.85 + 0.3 * rand())) / 2;
      const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - radius - 1));
      const x1 = Math.min(width - 1, Math.ceil(Math.max(a.x, b.x) + radius + 1));
      const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - radius - 1));
      const y1 = Math.min(height - 1, Math.ceil(Math.max(a.y, b.y) + radius + 1));
      const vx = b.x - a.x;
      const vy = b.y - a.y;
      const len2 = vx * vx + vy * vy || 1;
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const t = Math.max(0, Math.min(1, ((x - a.x) * vx + (y - a.y) * vy) / len2));
          const d = Math.hypot(x - (a.x + t * vx), y - (a.y + t * vy));
          const cover = Math.max(0, Math.min(1, radius + 0.5 - d));
          const k = y * width + x;
          if (cover > ink[k]) ink[k] = cover;
        }
      }
    }
  }

  const pixels = new Uint8Array(width * height);
  for (let k = 0; k < pixels.length; k++) {
    const inkLevel = 45 + (rand() - 0.5) * 20;
    pixels[k] = Math.max(0, Math.min(255, Math.round(paper[k] * (1 - ink[k]) + inkLevel * ink[k])));
  }
  return encodeGreyPng(width, height, pixels);
}

// A photo (photoOfStrokes) of `text` written in one line, each character slightly tilted and off the line.
// turn: 0, or 90 for the picture turned a quarter clockwise (then height × width, the writing running top
// to bottom). Returns { png, width, height, digits: [{ cx, cy, w, h }] }: where each character was written,
// in the pixels of the picture as it is: a digit's the box it was written in, a mark's (mark: true) the box
// round its ink.
export function photoOfNumber(text, { width = 960, height = 360, seed = 7, turn = 0 } = {}) {
  const rand = random(seed + 1);
  const digitHeight = 0.58 * height;
  const cy = height / 2;
  const strokes = [];
  const digits = [];
  for (const { digit: ch, centreX, strokes: digitStrokes } of layoutDigits(text, { cx: width / 2, cy, height: digitHeight })) {
    const tilt = (rand() - 0.5) * 0.12; // radians
    const dy = (rand() - 0.5) * 0.08 * height;
    const placed = digitStrokes.map((stroke) =>
      stroke.map((p) => ({
        x: centreX + (p.x - centreX) * Math.cos(tilt) - (p.y - cy) * Math.sin(tilt),
        y: cy + (p.x - centreX) * Math.sin(tilt) + (p.y - cy) * Math.cos(tilt) + dy,
      })),
    );
    strokes.push(...placed);
    digits.push(isMark(ch) ? { ...inkBox(placed), mark: true } : { cx: centreX, cy: cy + dy, w: 0.6 * digitHeight, h: digitHeight });
  }
  const strokeWidth = 0.075 * digitHeight;
  if (turn === 90) {
    // A quarter turn clockwise: (x, y) → (height − y, x).
    const turned = strokes.map((stroke) => stroke.map((p) => ({ x: height - p.y, y: p.x })));
    const png = photoOfStrokes(turned, { width: height, height: width, strokeWidth, seed });
    return { png, width: height, height: width, digits: digits.map((d) => ({ ...d, cx: height - d.cy, cy: d.cx, w: d.h, h: d.w })) };
  }
  const png = photoOfStrokes(strokes, { width, height, strokeWidth, seed });
  return { png, width, height, digits };
}
