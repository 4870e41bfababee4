// Training curves as a standalone SVG: one panel per quantity (loss, accuracy), train and validation
// lines per epoch, with axes and a legend. No dependencies; the file opens in any browser.

const COLORS = { train: '#1f77b4', validation: '#ff7f0e' };

function panel({ title, train, validation, x0, width, height }) {
  const pad = { left: 56, right: 16, top: 32, bottom: 40 };
  const all = [...train, ...validation].filter(Number.isFinite);
  let lo = Math.min(...all),
    hi = Math.max(...all);
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const span = hi - lo;
  lo -= span * 0.05;
  hi += span * 0.05;
  const n = Math.max(train.length, validation.length);
  const px = (i) => x0 + pad.left + (n <= 1 ? 0 : (i / (n - 1)) * (width - pad.left - pad.right));
  const py = (v) => pad.top + (1 - (v - lo) / (hi - lo)) * (height - pad.top - pad.bottom);
  const line = (values, color) =>
    values.length === 0
      ? ''
      : `<polyline fill="none" stroke="${color}" stroke-width="2" ` +
        `points="${values.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>` +
        values
          .map((v, i) => `<circle cx="${px(i).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${color}"/>`)
          .join('');
  const ticks = Array.from({ length: 5 }, (_, k) => lo + ((hi - lo) * k) / 4);
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${x0 + pad.left}" x2="${x0 + width - pad.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#ddd"/>` +
        `<text x="${x0 + pad.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${t.toFixed(3)}</text>`,
    )
    .join('');
  const xTicks = Array.from(
    { length: n },
    (_, i) =>
      `<text x="${px(i).toFixed(1)}" y="${height - pad.bottom + 16}" text-anchor="middle" font-size="11">${i + 1}</text>`,
  ).join('');
  return `<g>${grid}${xTicks}
<text x="${x0 + width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${title}</text>
<text x="${x0 + width / 2}" y="${height - 6}" text-anchor="middle" font-size="12">epoch</text>
<line x1="${x0 + pad.left}" x2="${x0 + pad.left}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#333"/>
<line x1="${x0 + pad.left}" x2="${x0 + width - pad.right}" y1="${height - pad.bottom}" y2="${height - pad.bottom}" stroke="#333"/>
${line(train, COLORS.train)}${line(validation, COLORS.validation)}</g>`;
}

/** An SVG with a loss panel and an accuracy panel from a fit History's `history` record. */
export function trainingCurvesSvg(history, { title = 'training curves' } = {}) {
  const width = 440,
    height = 300;
  const panels = [
    ['loss', 'val_loss'],
    ['accuracy', 'val_accuracy'],
  ].filter(([k]) => history[k]);
  const body = panels
    .map(([k, v], i) =>
      panel({ title: k, train: history[k] ?? [], validation: history[v] ?? [], x0: i * width, width, height }),
    )
    .join('\n');
  // top right of the loss panel, which falls away from that corner
  const legend =
    `<g font-size="12"><rect x="${width - 110}" y="36" width="12" height="12" fill="${COLORS.train}"/>` +
    `<text x="${width - 92}" y="46">train</text>` +
    `<rect x="${width - 110}" y="54" width="12" height="12" fill="${COLORS.validation}"/>` +
    `<text x="${width - 92}" y="64">validation</text></g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${panels.length * width}" height="${height + 24}" font-family="sans-serif">
<title>${title}</title><rect width="100%" height="100%" fill="white"/>
${body}
${legend}
<text x="8" y="${height + 16}" font-size="11" fill="#555">${title}</text>
</svg>
`;
}
