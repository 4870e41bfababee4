// The demo's views: the Keras-style progress (bar with ETA and running loss/metrics per epoch, one
// summary line per finished epoch, as the terminal bar prints), the grid of test digits with their
// predicted classes, and the class-probability bars of a drawn digit (or, for the autoencoder, its
// reconstruction), and the grid canvas read back as grey levels. Imports nothing.

const fmt = (logs) =>
  Object.entries(logs)
    .filter(([k]) => k !== 'size')
    .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
    .join(' - ');

export const formatSeconds = (s) =>
  s >= 60
    ? `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`
    : `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;

export class ProgressView {
  constructor(doc) {
    this.label = doc.getElementById('epoch-label');
    this.fill = doc.getElementById('bar-fill');
    this.line = doc.getElementById('step-line');
    this.log = doc.getElementById('epoch-log');
  }

  reset() {
    this.log.textContent = '';
    this.line.textContent = '–';
    this.fill.style.width = '0';
  }

  epochBegin(epoch, epochs, steps) {
    Object.assign(this, { epochs, steps, started: performance.now(), shown: {} });
    this.label.textContent = `Epoch ${epoch + 1}/${epochs}`;
    this.step(0, {});
  }

  /** After `done` of `steps` steps; logs carry loss/metrics only on steps where fit read them back. */
  step(done, logs) {
    if (logs.loss !== undefined) this.shown = logs;
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.steps - done) : 0;
    this.fill.style.width = `${(100 * done) / this.steps}%`;
    const metrics = fmt(this.shown);
    this.line.textContent =
      `${String(done).padStart(String(this.steps).length)}/${this.steps} - ETA: ${formatSeconds(eta)}` +
      `${metrics ? ` - ${metrics}` : ''}`;
  }

  epochEnd(epoch, logs) {
    const seconds = (performance.now() - this.started) / 1000;
    this.fill.style.width = '100%';
    this.line.textContent = `${this.steps}/${this.steps} - ${formatSeconds(seconds)} - ${fmt(logs)}`;
    this.log.textContent +=
      `Epoch ${epoch + 1}/${this.epochs} - ${formatSeconds(seconds)} ` +
      `${Math.round((seconds * 1000) / this.steps)}ms/step - ${fmt(logs)}\n`;
    this.log.scrollTop = this.log.scrollHeight;
  }

  message(text) {
    this.line.textContent = text;
  }
}

/** Draws `count` digits (784 values each, [0, 1]) in rows with a label under each: green right, red wrong. */
export function drawDigitGrid(canvas, images, labels, predictions, { columns = 9, scale = 2 } = {}) {
  const ctx = canvas.getContext('2d');
  const cell = 28 * scale,
    labelHeight = 18,
    count = labels.length;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const image = ctx.createImageData(28, 28);
  const scratch = Object.assign(document.createElement('canvas'), { width: 28, height: 28 });
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 784; p++) {
      const v = 255 - Math.round(images[i * 784 + p] * 255);
      image.data.set([v, v, v, 255], p * 4);
    }
    scratch.getContext('2d').putImageData(image, 0, 0);
    const x = (i % columns) * (cell + 4),
      y = Math.floor(i / columns) * (cell + labelHeight + 2);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(scratch, x, y, cell, cell);
    if (predictions) {
      ctx.fillStyle = predictions[i] === labels[i] ? '#1b8a3a' : '#d0312d';
      ctx.font = '600 13px system-ui, sans-serif';
      ctx.fillText(String(predictions[i]), x + cell / 2 - 4, y + cell + 14);
    }
  }
}

/** One digit (784 values in [0, 1]) as large as the canvas allows, dark on white as the grid draws them. */
export function drawDigit(canvas, pixels) {
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const image = ctx.createImageData(28, 28);
  for (let p = 0; p < 784; p++) {
    const v = 255 - Math.round(Math.min(1, Math.max(0, pixels[p])) * 255);
    image.data.set([v, v, v, 255], p * 4);
  }
  const scratch = Object.assign(document.createElement('canvas'), { width: 28, height: 28 });
  scratch.getContext('2d').putImageData(image, 0, 0);
  const side = Math.floor(Math.min(canvas.width, canvas.height) / 28) * 28;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, (canvas.width - side) / 2, (canvas.height - side) / 2, side, side);
}

/** Ten horizontal bars, one per class, the most likely highlighted. */
export function drawProbabilities(canvas, probabilities) {
  const ctx = canvas.getContext('2d');
  const rowHeight = canvas.height / 10;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = '12px system-ui, sans-serif';
  const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  for (let k = 0; k < 10; k++) {
    const p = probabilities ? probabilities[k] : 0,
      y = k * rowHeight;
    ctx.fillStyle = '#1d232b';
    ctx.fillText(String(k), 2, y + rowHeight - 6);
    ctx.fillStyle = k === best ? '#2f7de1' : '#b8c4d3';
    ctx.fillRect(16, y + 3, (canvas.width - 70) * p, rowHeight - 6);
    ctx.fillStyle = '#1d232b';
    ctx.fillText(`${(p * 100).toFixed(1)}%`, canvas.width - 50, y + rowHeight - 6);
  }
}

/** A canvas's pixels as grey levels (0 black … 255 white), what the page shows, for the tests to judge. */
export function canvasGrey(canvas) {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  const grey = new Uint8Array(data.length / 4);
  for (let p = 0; p < grey.length; p++) grey[p] = Math.round((data[p * 4] + data[p * 4 + 1] + data[p * 4 + 2]) / 3);
  return grey;
}
