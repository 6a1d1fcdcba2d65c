// The 28×28 image the model saw (the server's ?debug=1 answer), enlarged with a pixel grid. Shown as MNIST
// stores digits: white ink on black.
import { useEffect, useRef } from 'react';

const CELL = 10; // screen pixels per model pixel
const SIDE = 28 * CELL;

export default function ModelInput({ input }) {
  const canvasRef = useRef(null);

  useEffect(() => {
    const ctx = canvasRef.current?.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = '#000000';
    ctx.fillRect(0, 0, SIDE, SIDE);
    input.forEach((row, y) =>
      row.forEach((value, x) => {
        const level = Math.round(255 * Math.max(0, Math.min(1, value)));
        ctx.fillStyle = `rgb(${level}, ${level}, ${level})`;
        ctx.fillRect(x * CELL, y * CELL, CELL, CELL);
      }),
    );
    ctx.strokeStyle = 'rgba(99, 102, 241, 0.35)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 0; i <= 28; i++) {
      const at = i * CELL + 0.5;
      ctx.moveTo(at, 0);
      ctx.lineTo(at, SIDE);
      ctx.moveTo(0, at);
      ctx.lineTo(SIDE, at);
    }
    ctx.stroke();
  }, [input]);

  return (
    <figure className="model-input">
      <figcaption className="section-title">What the model saw</figcaption>
      <canvas
        ref={canvasRef}
        className="model-input-canvas"
        width={SIDE}
        height={SIDE}
        role="img"
        aria-label="The 28 by 28 pixel image the model saw, white ink on black, enlarged with a pixel grid"
        data-testid="model-input"
      />
      <p className="panel-hint">28 × 28 pixels, cropped, centred and scaled like the training digits.</p>
    </figure>
  );
}
