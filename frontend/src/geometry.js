// Boxes from the server ([x, y, w, h] in the pixels of the image that was read) placed over that image as it
// is shown, in percent of it, so that they stay on their digits whatever size the image is shown at.

const percent = (part, whole) => `${((100 * part) / whole).toFixed(3)}%`;

// box in the pixels of an image of size { width, height } → CSS placement over that image.
export function boxPlacement(box, size) {
  const [x, y, w, h] = box;
  return { left: percent(x, size.width), top: percent(y, size.height), width: percent(w, size.width), height: percent(h, size.height) };
}

// A box near the right edge has its label aligned to its right side, so that the label stays over the image.
export function nearRightEdge(box, size) {
  return box[0] + box[2] > 0.85 * size.width;
}
