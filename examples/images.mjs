// The autoencoder lab's pictures: rows of 28×28 digits as a grayscale PNG (encoded by pngjs, a
// well-kept encoder, not by hand), and the held-out digits' 2-D codes as a standalone SVG scatter plot
// coloured by digit, with axes and a legend. Both take plain typed arrays; callers read tensors back.
import { CATEGORY_COLORS } from '@webgrad/layers';
import pngjs from 'pngjs';

const SIDE = 28;
const DIGIT_PIXELS = SIDE * SIDE;

/**
 * A PNG of `rows` (each a Float32Array of whole digits, values in [0, 1], clipped when outside), `count`
 * digits a row, each pixel drawn `scale`×`scale`, with a `gap` of grey between digits and rows.
 */
export function digitRowsPng(rows, { count, scale = 2, gap = 4 }) {
  const cell = SIDE * scale;
  const width = count * cell + (count + 1) * gap,
    height = rows.length * cell + (rows.length + 1) * gap;
  const png = new pngjs.PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.alloc(width * height, 128);
  rows.forEach((digits, row) => {
    if (digits.length < count * DIGIT_PIXELS) {
      throw new Error(`digitRowsPng: row ${row} holds ${digits.length / DIGIT_PIXELS} digits, expected ${count}`);
    }
    for (let k = 0; k < count; k++) {
      const left = gap + k * (cell + gap),
        top = gap + row * (cell + gap);
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const value = digits[k * DIGIT_PIXELS + Math.floor(y / scale) * SIDE + Math.floor(x / scale)];
          png.data[(top + y) * width + left + x] = Math.round(Math.min(1, Math.max(0, value)) * 255);
        }
      }
    }
  });
  return pngjs.PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

// one colour per digit, the charts' own ten
const DIGIT_COLORS = CATEGORY_COLORS;

/** Five round tick values across [lo, hi]. */
function ticks(lo, hi) {
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 4));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= 6);
  const first = Math.ceil(lo / nice) * nice;
  return Array.from({ length: Math.floor((hi - first) / nice) + 1 }, (_, i) => first + i * nice);
}

/** An SVG scatter plot of 2-D codes (x0, y0, x1, y1, …), one dot per digit, coloured by its label. */
export function codeScatterSvg(codes, labels, { title = '2-D codes' } = {}) {
  const n = labels.length;
  if (codes.length !== 2 * n) {
    throw new Error(`codeScatterSvg: ${codes.length} values for ${n} labels; expected 2 each`);
  }
  const size = 520,
    pad = { left: 56, right: 110, top: 36, bottom: 44 };
  const xs = Array.from({ length: n }, (_, i) => codes[2 * i]),
    ys = Array.from({ length: n }, (_, i) => codes[2 * i + 1]);
  const range = (v) => {
    const lo = Math.min(...v),
      hi = Math.max(...v),
      margin = (hi - lo) * 0.04 || 0.5;
    return [lo - margin, hi + margin];
  };
  const [x0, x1] = range(xs),
    [y0, y1] = range(ys);
  const plotWidth = size - pad.left - pad.right,
    plotHeight = size - pad.top - pad.bottom;
  const px = (v) => pad.left + ((v - x0) / (x1 - x0)) * plotWidth;
  const py = (v) => pad.top + (1 - (v - y0) / (y1 - y0)) * plotHeight;
  // in the digits' own (shuffled) order, so no class is drawn over all the others; colours by class from
  // the style sheet keep the file small. Array.from: a typed array's map would make numbers of the strings.
  const dots = Array.from(labels)
    .map((label, i) => `<circle class="d${label}" cx="${px(xs[i]).toFixed(1)}" cy="${py(ys[i]).toFixed(1)}" r="2.2"/>`)
    .join('\n');
  const style = DIGIT_COLORS.map((color, digit) => `.d${digit}{fill:${color}}`).join('');
  const format = (v) => String(Number(v.toPrecision(3)));
  const xTicks = ticks(x0, x1)
    .map(
      (t) =>
        `<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${pad.top}" y2="${size - pad.bottom}" stroke="#eee"/>` +
        `<text x="${px(t).toFixed(1)}" y="${size - pad.bottom + 16}" text-anchor="middle" font-size="11">${format(t)}</text>`,
    )
    .join('');
  const yTicks = ticks(y0, y1)
    .map(
      (t) =>
        `<line x1="${pad.left}" x2="${size - pad.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#eee"/>` +
        `<text x="${pad.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${format(t)}</text>`,
    )
    .join('');
  const legend = DIGIT_COLORS.map(
    (color, digit) =>
      `<circle cx="${size - pad.right + 24}" cy="${pad.top + 12 + digit * 20}" r="6" fill="${color}"/>` +
      `<text x="${size - pad.right + 36}" y="${pad.top + 16 + digit * 20}" font-size="13">${digit}</text>`,
  ).join('');
  const middle = pad.top + plotHeight / 2;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" font-family="sans-serif">
<title>${title}</title><style>${style} circle{fill-opacity:0.7}</style><rect width="100%" height="100%" fill="white"/>
${xTicks}${yTicks}
<rect x="${pad.left}" y="${pad.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>
${dots}
${legend}
<text x="${pad.left + plotWidth / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${title}</text>
<text x="${pad.left + plotWidth / 2}" y="${size - 8}" text-anchor="middle" font-size="12">code 1</text>
<text x="16" y="${middle}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${middle})">code 2</text>
</svg>
`;
}
