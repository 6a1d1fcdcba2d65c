// Reads IDX files (the MNIST format): a zero word, type code 0x08 (unsigned bytes), the number of
// dimensions, then each dimension as a big-endian uint32, then the data. Shared by the page (its sample
// digits) and the end-to-end test (which makes its upload from an MNIST test digit).

export function parseIdx(buffer) {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) {
    throw new Error('not an IDX file of unsigned bytes');
  }
  const rank = bytes[3];
  const headerSize = 4 + 4 * rank;
  if (rank < 1 || bytes.length < headerSize) throw new Error('truncated IDX header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length < headerSize + size) throw new Error(`IDX data truncated: ${dims.join('×')} needs ${size} bytes`);
  return { dims, data: bytes.subarray(headerSize, headerSize + size) };
}

// Image `index` of an IDX image set as a Uint8Array of rows × cols bytes (MNIST: 0 = background, 255 = ink).
export function idxImage(images, index) {
  const [count, rows, cols] = images.dims;
  if (index < 0 || index >= count) throw new RangeError(`image ${index} out of ${count}`);
  const size = rows * cols;
  return images.data.subarray(index * size, (index + 1) * size);
}
