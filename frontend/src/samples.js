// "Random test digit": the page ships 100 MNIST test digits (ten of each, public/samples/, made by
// scripts/make-samples.mjs) and turns one into a dark-on-light PNG, as a scan of a written digit would be.
import { idxImage, parseIdx } from './idx.js';

const BASE = `${import.meta.env.BASE_URL}samples/`;
let loading = null;

export function loadSamples(fetchImpl = (...a) => globalThis.fetch(...a)) {
  if (!loading) {
    const get = async (name) => {
      const response = await fetchImpl(`${BASE}${name}`);
      if (!response.ok) throw new Error(`could not load ${name} (HTTP ${response.status})`);
      return parseIdx(await response.arrayBuffer());
    };
    loading = Promise.all([get('t10k-images-100.idx'), get('t10k-labels-100.idx')]).then(([images, labels]) => ({ images, labels }));
    loading.catch(() => {
      loading = null; // try again next time
    });
  }
  return loading;
}

// A PNG File of one sample, dark ink on white, `scale` times enlarged.
export function sampleToPng(samples, index, scale = 4) {
  const pixels = idxImage(samples.images, index);
  const [, rows, cols] = samples.images.dims;
  const canvas = document.createElement('canvas');
  canvas.width = cols * scale;
  canvas.height = rows * scale;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(cols * scale, rows * scale);
  for (let y = 0; y < rows * scale; y++) {
    for (let x = 0; x < cols * scale; x++) {
      const level = 255 - pixels[Math.floor(y / scale) * cols + Math.floor(x / scale)];
      const at = (y * cols * scale + x) * 4;
      image.data[at] = image.data[at + 1] = image.data[at + 2] = level;
      image.data[at + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
  const label = samples.labels.data[index];
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => {
      if (!blob) return reject(new Error('the browser could not encode the sample'));
      resolve({ file: new File([blob], `mnist-test-${index}.png`, { type: 'image/png' }), label });
    }, 'image/png'),
  );
}
