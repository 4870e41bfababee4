// The generative labs' pictures: digits (28×28, values in [0, 1], clipped when outside) laid out as a
// grayscale PNG grid, encoded by pngjs (a well-kept encoder, not by hand). Takes a plain typed array;
// callers read tensors back.
import pngjs from 'pngjs';

const SIDE = 28;
const DIGIT_PIXELS = SIDE * SIDE;

/** A PNG of `pixels` (whole digits, row-major) in `columns` columns, each pixel `scale`×`scale`, a 2-pixel grey gap. */
export function digitGridPng(pixels, { columns, scale = 2, gap = 2 }) {
  const count = pixels.length / DIGIT_PIXELS;
  if (!Number.isInteger(count) || count === 0) {
    throw new Error(`digitGridPng: ${pixels.length} values are not a whole number of 28×28 digits`);
  }
  const rows = Math.ceil(count / columns);
  const cell = SIDE * scale;
  const width = columns * cell + (columns + 1) * gap,
    height = rows * cell + (rows + 1) * gap;
  const png = new pngjs.PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.alloc(width * height, 128);
  for (let k = 0; k < count; k++) {
    const left = gap + (k % columns) * (cell + gap),
      top = gap + Math.floor(k / columns) * (cell + gap);
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const value = pixels[k * DIGIT_PIXELS + Math.floor(y / scale) * SIDE + Math.floor(x / scale)];
        png.data[(top + y) * width + left + x] = Math.round(Math.min(1, Math.max(0, value)) * 255);
      }
    }
  }
  return pngjs.PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}
