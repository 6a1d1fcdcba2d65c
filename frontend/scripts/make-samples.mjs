#!/usr/bin/env node
// Writes public/samples/t10k-{images,labels}-100.idx: the first ten MNIST test digits of each class, for
// the page's "Random test digit" button. Run once by hand (the output is committed):
//   node scripts/make-samples.mjs ../data/mnist
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { idxImage, parseIdx } from '../src/idx.js';

const mnistDir = process.argv[2] || join(dirname(fileURLToPath(import.meta.url)), '../../data/mnist');
const outDir = join(dirname(fileURLToPath(import.meta.url)), '../public/samples');
const perDigit = 10;

const images = parseIdx(readFileSync(join(mnistDir, 't10k-images-idx3-ubyte')));
const labels = parseIdx(readFileSync(join(mnistDir, 't10k-labels-idx1-ubyte')));
const [count, rows, cols] = images.dims;

const chosen = [];
const taken = new Array(10).fill(0);
for (let i = 0; i < count && chosen.length < 10 * perDigit; i++) {
  const label = labels.data[i];
  if (taken[label] < perDigit) {
    taken[label] += 1;
    chosen.push(i);
  }
}

function idxHeader(dims) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return header;
}

mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 't10k-images-100.idx'),
  Buffer.concat([idxHeader([chosen.length, rows, cols]), ...chosen.map((i) => Buffer.from(idxImage(images, i)))]),
);
writeFileSync(join(outDir, 't10k-labels-100.idx'), Buffer.concat([idxHeader([chosen.length]), Buffer.from(chosen.map((i) => labels.data[i]))]));
console.log(`wrote ${chosen.length} digits (test-set indices ${chosen[0]}…${chosen.at(-1)}) to ${outDir}`);
