// The bench table as a picture: one row per measurement, one bar per TF.js backend, the length
// webgrad's gain over it on a log scale (right of the 1× line: webgrad is better). Written by
// run.mjs next to results.json as a standalone SVG. Imports nothing.

const COLORS = { 'tfjs-webgpu': '#1f77b4', 'tfjs-wasm': '#ff7f0e', 'tfjs-cpu': '#7f7f7f' };
const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** rows: [{ label, gains: { framework: × } }], from table.mjs's gainsOf. */
export function gainChart(rows, { title }) {
  const frameworks = [...new Set(rows.flatMap((r) => Object.keys(r.gains)))];
  const bar = 9,
    rowHeight = bar * frameworks.length + 8,
    left = 290,
    plot = 520,
    top = 56;
  const height = top + rows.length * rowHeight + 40,
    width = left + plot + 30;
  const all = rows.flatMap((r) => Object.values(r.gains));
  const lo = Math.min(0.05, ...all),
    hi = Math.max(20, ...all);
  const x = (g) => left + (Math.log(g / lo) / Math.log(hi / lo)) * plot;
  const ticks = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20, 50, 100].filter((t) => t >= lo && t <= hi);
  const parts = [
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `<text x="${width / 2}" y="40" text-anchor="middle" font-size="11">` +
      `webgrad's gain over each TF.js backend (log scale; right of 1×: webgrad better)</text>`,
    ...ticks.map(
      (t) =>
        `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top - 4}" y2="${height - 36}" ` +
        `stroke="${t === 1 ? '#333' : '#ddd'}"/>` +
        `<text x="${x(t).toFixed(1)}" y="${height - 22}" text-anchor="middle" font-size="10">${t}×</text>`,
    ),
  ];
  rows.forEach((row, i) => {
    const y0 = top + i * rowHeight;
    parts.push(
      `<text x="${left - 8}" y="${y0 + rowHeight / 2 + 2}" text-anchor="end" font-size="11">${escape(row.label)}</text>`,
    );
    frameworks.forEach((f, j) => {
      const g = row.gains[f];
      if (g === undefined) return;
      const a = x(Math.min(g, 1)),
        b = x(Math.max(g, 1)),
        y = y0 + 4 + j * bar;
      parts.push(
        `<rect x="${a.toFixed(1)}" y="${y}" width="${Math.max(1, b - a).toFixed(1)}" height="${bar - 1}" ` +
          `fill="${COLORS[f] ?? '#2ca02c'}"><title>${f}: ${g.toFixed(2)}×</title></rect>`,
      );
    });
  });
  frameworks.forEach((f, j) =>
    parts.push(
      `<rect x="${left + j * 130}" y="${height - 14}" width="10" height="10" fill="${COLORS[f] ?? '#2ca02c'}"/>` +
        `<text x="${left + j * 130 + 14}" y="${height - 5}" font-size="11">vs ${f}</text>`,
    ),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 4}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
</svg>
`;
}
