// Drawings as the pads keep them: a list of strokes, each a list of points { x, y } in the pad's logical
// pixels, painted as thick round black strokes on white. One digit uses the square pad; a number the wide one
// (same height, three times as wide), so that each digit is drawn at the same size in both.

export const CANVAS_SIZE = 280; // logical pixels: 10× MNIST's 28
export const WIDE_CANVAS_WIDTH = 3 * CANVAS_SIZE; // the Number pad: room for four or five digits
export const STROKE_WIDTH = 22; // about 2 MNIST pixels, like a pen stroke in the original digits

// Paints the whole drawing on a white background of width × height logical pixels, `scale` device pixels each.
export function paint(ctx, strokes, scale = 1, width = CANVAS_SIZE, height = CANVAS_SIZE) {
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.strokeStyle = '#000000';
  ctx.fillStyle = '#000000';
  ctx.lineWidth = STROKE_WIDTH;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const stroke of strokes) paintStroke(ctx, stroke);
}

// One stroke on a context already set up by paint; a single point is a dot.
export function paintStroke(ctx, stroke) {
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

// The drawing as a PNG Blob of width × height pixels (the canvas's logical size).
export function renderStrokesToPng(strokes, width = CANVAS_SIZE, height = CANVAS_SIZE) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (ctx) paint(ctx, strokes, 1, width, height);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the drawing'))), 'image/png');
  });
}

// Strokes drawn on a pad of one size, moved onto a pad of another: same scale, centred.
export function centreStrokes(strokes, from, to) {
  const dx = (to.width - from.width) / 2;
  const dy = (to.height - from.height) / 2;
  return strokes.map((stroke) => stroke.map((p) => ({ x: p.x + dx, y: p.y + dy })));
}
