// Line charts as standalone SVG text, for the gradient-flow monitor and the labs: d3-scale gives the
// scales (linear or log) and their nice tick values; the axes, lines and legend are drawn here. No DOM
// is needed, so the same charts come out in Node and the page.
import { scaleLinear, scaleLog } from 'd3-scale';

export interface Series {
  readonly name: string;
  /** [x, y] points; non-finite or (on a log axis) non-positive y values leave a gap. */
  readonly points: readonly (readonly [number, number])[];
}

export interface ChartOptions {
  readonly title: string;
  readonly series: readonly Series[];
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** A log y axis, for quantities spanning decades (gradient norms). */
  readonly logY?: boolean;
  readonly width?: number;
  readonly height?: number;
}

/** D3's category10 (matplotlib's tab10): ten colours that stay apart, for series or classes. */
export const CATEGORY_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A tick's text: d3's own format for the scale, so 0.2 reads 0.2, not 0.19999. */
const tickText = (format: (v: number) => string, v: number) => escape(format(v).replace('−', '-'));

/** Room for the legend right of the plot: a line sample and the longest name at ~6.5 px a character. */
const legendWidth = (series: readonly Series[]) => 48 + 6.5 * Math.max(4, ...series.map((s) => s.name.length));

/** One chart as an SVG group at (x0, y0); `chartsSvg` wraps charts in a document. */
export function chartGroup(options: ChartOptions, x0 = 0, y0 = 0): string {
  const { title, series, xLabel = '', yLabel = '', logY = false, width = 460, height = 300 } = options;
  const pad = { left: 64, right: legendWidth(series), top: 30, bottom: 42 };
  const usable = (y: number) => Number.isFinite(y) && (!logY || y > 0);
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter(Number.isFinite);
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(usable);
  const [xMin, xMax] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [yMin, yMax] = ys.length ? [Math.min(...ys), Math.max(...ys)] : logY ? [0.1, 1] : [0, 1];
  if (yMin === yMax) [yMin, yMax] = logY ? [yMin / 2, yMax * 2] : [yMin - 0.5, yMax + 0.5];
  const x = scaleLinear()
    .domain(xMin === xMax ? [xMin - 0.5, xMax + 0.5] : [xMin, xMax])
    .range([x0 + pad.left, x0 + width - pad.right])
    .nice();
  const y = (logY ? scaleLog() : scaleLinear())
    .domain([yMin, yMax])
    .range([y0 + height - pad.bottom, y0 + pad.top])
    .nice();
  const xTicks = x.ticks(6);
  // a log axis over many decades gets one labelled tick per decade
  const yTicks = logY
    ? y.ticks().filter((t) => Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9)
    : y.ticks(5);
  const xFormat = x.tickFormat(6);
  const yFormat = logY ? (v: number) => (v >= 1e-3 && v <= 1e4 ? String(v) : v.toExponential(0)) : y.tickFormat(5);
  const [left, right] = x.range();
  const [bottom, top] = y.range();
  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + width / 2}" y="${y0 + 18}" text-anchor="middle" font-size="13" font-weight="bold">${escape(title)}</text>`,
  );
  for (const t of yTicks) {
    const py = y(t).toFixed(1);
    parts.push(`<line x1="${left}" x2="${right}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${left - 6}" y="${py}" dy="4" text-anchor="end" font-size="11">${tickText(yFormat, t)}</text>`,
    );
  }
  for (const t of xTicks) {
    const px = x(t).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${bottom}" y2="${bottom + 4}" stroke="#333"/>`);
    parts.push(`<text x="${px}" y="${bottom + 16}" text-anchor="middle" font-size="11">${tickText(xFormat, t)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
  parts.push(
    `<text x="${(left + right) / 2}" y="${bottom + 34}" text-anchor="middle" font-size="12">${escape(xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(${x0 + 14},${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" ` +
      `font-size="12">${escape(yLabel)}</text>`,
  );
  series.forEach((s, k) => {
    const color = CATEGORY_COLORS[k % CATEGORY_COLORS.length];
    // a gap at every unusable value, so a line never bridges a NaN
    const runs: string[][] = [[]];
    for (const [px, py] of s.points) {
      if (usable(py) && Number.isFinite(px)) runs[runs.length - 1].push(`${x(px).toFixed(1)},${y(py).toFixed(1)}`);
      else if (runs[runs.length - 1].length) runs.push([]);
    }
    for (const run of runs) {
      if (run.length > 1) {
        parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${run.join(' ')}"/>`);
      }
      if (run.length === 1) {
        const [cx, cy] = run[0].split(',');
        parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
      }
    }
    const ly = top + 14 * k + 4;
    parts.push(
      `<line x1="${right + 10}" x2="${right + 28}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${right + 32}" y="${ly}" dy="4" font-size="11">${escape(s.name)}</text>`);
  });
  return `<g font-family="Helvetica, Arial, sans-serif">${parts.join('\n')}</g>`;
}

/** Charts side by side (`columns` a row) in one SVG document. */
export function chartsSvg(charts: readonly ChartOptions[], columns = 2): string {
  const width = Math.max(460, 340 + Math.max(...charts.map((c) => legendWidth(c.series))));
  const height = 300;
  const rows = Math.ceil(charts.length / columns);
  const cols = Math.min(columns, charts.length);
  const body = charts.map((c, i) =>
    chartGroup({ ...c, width, height }, (i % columns) * width, Math.floor(i / columns) * height),
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${cols * width}" height="${rows * height}" ` +
    `viewBox="0 0 ${cols * width} ${rows * height}">\n<rect width="100%" height="100%" fill="white"/>\n${body.join('\n')}\n</svg>\n`
  );
}
