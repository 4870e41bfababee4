// The graph labs' embedding figure: a row of panels, one per snapshot of training, each drawing a
// graph's nodes at their 2-D embedding (its own axes, scaled to fit) with the edges between them,
// coloured by class; the labelled nodes are ringed in black. Standalone SVG text.
import { CATEGORY_COLORS } from '@webgrad/layers';

/**
 * snapshots: [{ title, points: Float32Array [2·nodes] }]; edges: [a, b] pairs; classes: one per node;
 * labelled: the node numbers that carried labels.
 */
export function embeddingPanelsSvg(snapshots, { edges, classes, labelled = [], title, classNames = [] }) {
  const size = 240,
    gap = 16,
    top = 72,
    pad = 14;
  const width = snapshots.length * (size + gap) + gap;
  const ringed = new Set(labelled);
  const panel = ({ title: caption, points }, p) => {
    const n = classes.length;
    const xs = Array.from({ length: n }, (_, i) => points[2 * i]),
      ys = Array.from({ length: n }, (_, i) => points[2 * i + 1]);
    const span = (v) => [Math.min(...v), Math.max(...v) - Math.min(...v) || 1];
    const [x0, dx] = span(xs),
      [y0, dy] = span(ys);
    const left = gap + p * (size + gap);
    const px = (i) => (left + pad + ((xs[i] - x0) / dx) * (size - 2 * pad)).toFixed(1);
    const py = (i) => (top + size - pad - ((ys[i] - y0) / dy) * (size - 2 * pad)).toFixed(1);
    const lines = edges.map(([a, b]) => `<line x1="${px(a)}" y1="${py(a)}" x2="${px(b)}" y2="${py(b)}"/>`).join('');
    const dots = classes
      .map(
        (c, i) =>
          `<circle class="c${c}${ringed.has(i) ? ' ring' : ''}" cx="${px(i)}" cy="${py(i)}" r="${ringed.has(i) ? 6 : 4.5}"/>`,
      )
      .join('');
    return (
      `<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="#ccc"/>` +
      `<text x="${left + size / 2}" y="${top - 8}" text-anchor="middle" font-size="12">${caption}</text>` +
      `<g stroke="#bbb" stroke-width="0.7">${lines}</g><g>${dots}</g>`
    );
  };
  const kinds = [...new Set(classes)].sort((a, b) => a - b);
  const style =
    kinds.map((c) => `.c${c}{fill:${CATEGORY_COLORS[c % CATEGORY_COLORS.length]}}`).join('') +
    '.ring{stroke:#000;stroke-width:2}';
  const legend = kinds
    .map(
      (c, k) =>
        `<circle class="c${c}" cx="${gap + 6 + k * 170}" cy="38" r="5"/>` +
        `<text x="${gap + 16 + k * 170}" y="42" font-size="12">${classNames[c] ?? `class ${c}`}</text>`,
    )
    .join('');
  const note = labelled.length
    ? `<text x="${width - gap}" y="42" text-anchor="end" font-size="12">ringed: the ${labelled.length} labelled nodes</text>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + size + gap}" ` +
    `font-family="sans-serif"><style>${style}</style>` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<text x="${gap}" y="20" font-size="14" font-weight="bold">${title}</text>${legend}${note}` +
    `${snapshots.map(panel).join('')}</svg>\n`
  );
}
