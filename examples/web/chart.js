// A small line chart on a canvas for the demo's curves: train and validation values at each epoch's
// end, and the current epoch's running mean (what the progress line shows) as a light trace that
// starts over each epoch (a chart may show only some of the three). Axes scale to the data; redrawn
// whole on every change. Imports nothing.

const COLORS = { train: '#2f7de1', validation: '#e8730c', 'this epoch': '#9cc3f0' };
const ALL = Object.keys(COLORS);

export class LineChart {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas, { title, yMin, yMax, series = ALL }) {
    this.canvas = canvas;
    this.title = title;
    this.fixed = { yMin, yMax };
    this.names = series;
    /** @type {Record<string, {x: number, y: number}[]>} */
    this.series = this.empty();
    this.xMax = 1;
    this.draw();
  }

  empty() {
    return Object.fromEntries(this.names.map((name) => [name, []]));
  }

  reset(xMax) {
    this.series = this.empty();
    this.xMax = xMax;
    this.draw();
  }

  add(name, x, y) {
    if (!Number.isFinite(y) || !this.series[name]) return;
    this.series[name].push({ x, y });
    this.draw();
  }

  /** Starts the running trace over (at an epoch's start: it shows the mean since then). */
  restartRunning() {
    if (this.series['this epoch']) this.series['this epoch'] = [];
  }

  draw() {
    const { canvas } = this,
      ctx = canvas.getContext('2d');
    const W = canvas.width,
      H = canvas.height,
      left = 46,
      right = 12,
      top = 26,
      bottom = 30;
    const points = Object.values(this.series).flat();
    let yMin = this.fixed.yMin ?? Math.min(...points.map((p) => p.y), Infinity);
    let yMax = this.fixed.yMax ?? Math.max(...points.map((p) => p.y), -Infinity);
    if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) [yMin, yMax] = [0, 1];
    if (yMax - yMin < 1e-6) yMax = yMin + 1;
    const px = (x) => left + (x / this.xMax) * (W - left - right);
    const py = (y) => top + (1 - (y - yMin) / (yMax - yMin)) * (H - top - bottom);

    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = '#1d232b';
    ctx.font = '600 13px system-ui, sans-serif';
    ctx.fillText(this.title, left, 16);
    ctx.font = '11px system-ui, sans-serif';
    ctx.strokeStyle = '#e1e5ea';
    ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = yMin + ((yMax - yMin) * i) / 4;
      ctx.beginPath();
      ctx.moveTo(left, py(y));
      ctx.lineTo(W - right, py(y));
      ctx.stroke();
      ctx.fillStyle = '#5b6675';
      ctx.fillText(y.toFixed(yMax - yMin < 0.5 ? 3 : 2), 4, py(y) + 4);
    }
    const xStep = Math.max(1, Math.ceil(this.xMax / 10));
    for (let x = 0; x <= this.xMax; x += xStep) ctx.fillText(String(x), px(x) - 3, H - bottom + 14);
    ctx.fillText('epoch', W - right - 30, H - 4);

    ctx.font = '600 13px system-ui, sans-serif';
    let legendX = left + Math.max(90, ctx.measureText(this.title).width + 16); // the legend starts after the title
    ctx.font = '11px system-ui, sans-serif';
    for (const [name, series] of Object.entries(this.series)) {
      ctx.strokeStyle = COLORS[name];
      ctx.fillStyle = COLORS[name];
      ctx.lineWidth = name === 'this epoch' ? 1.5 : 2;
      ctx.beginPath();
      series.forEach((p, i) => (i ? ctx.lineTo(px(p.x), py(p.y)) : ctx.moveTo(px(p.x), py(p.y))));
      ctx.stroke();
      if (name !== 'this epoch') for (const p of series) ctx.fillRect(px(p.x) - 2.5, py(p.y) - 2.5, 5, 5);
      ctx.fillRect(legendX, 8, 14, 3);
      ctx.fillStyle = '#1d232b';
      ctx.fillText(name, legendX + 18, 13);
      legendX += 95;
    }
  }
}
