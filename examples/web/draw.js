// The drawing pad and its preprocessing into an MNIST-like input: MNIST digits are centred by their
// centre of mass in a 28×28 field, their bounding box scaled to fit 20×20 (LeCun et al.), so a drawing
// gets the same treatment before the model sees it. Imports nothing.

export class DrawPad {
  /** @param {HTMLCanvasElement} canvas  @param {() => void} onChange called while drawing and at its end */
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.onChange = onChange;
    this.drawing = false;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      this.last = this.at(e);
      this.stroke(this.last);
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (this.drawing) this.stroke(this.at(e));
    });
    const end = () => {
      if (this.drawing) {
        this.drawing = false;
        this.onChange();
      }
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  at(e) {
    const r = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) / r.width) * this.canvas.width,
      y: ((e.clientY - r.top) / r.height) * this.canvas.height,
    };
  }

  stroke(to) {
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.canvas.width / 12;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(this.last.x, this.last.y);
    ctx.lineTo(to.x + 0.01, to.y);
    ctx.stroke();
    this.last = to;
  }

  clear() {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** The drawing as 784 values in [0, 1], MNIST-style; null when the pad is empty. */
  pixels() {
    return mnistStyle(this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height));
  }
}

/** Grey levels of an RGBA image → 28×28 in [0, 1]: bounding box scaled into 20×20, centre of mass at (14, 14). */
export function mnistStyle(image) {
  const { width, height, data } = image;
  let x0 = width,
    y0 = height,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[(y * width + x) * 4] > 20) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const box = Math.max(x1 - x0 + 1, y1 - y0 + 1),
    scale = 20 / box;
  // area-average the box into a 20×20-scaled patch on a 28×28 field (sampling 4×4 points per output pixel)
  const patch = new Float32Array(28 * 28);
  const w = Math.ceil((x1 - x0 + 1) * scale),
    h = Math.ceil((y1 - y0 + 1) * scale);
  const ox = Math.floor((28 - w) / 2),
    oy = Math.floor((28 - h) / 2);
  for (let py = 0; py < h; py++) {
    for (let px = 0; px < w; px++) {
      let total = 0;
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const x = Math.min(x1, Math.floor(x0 + (px + (sx + 0.5) / 4) / scale)),
            y = Math.min(y1, Math.floor(y0 + (py + (sy + 0.5) / 4) / scale));
          total += data[(y * width + x) * 4];
        }
      }
      const tx = ox + px,
        ty = oy + py;
      if (tx < 28 && ty < 28) patch[ty * 28 + tx] = total / 16 / 255;
    }
  }
  // shift so the centre of mass lands on the field's centre
  let mass = 0,
    cx = 0,
    cy = 0;
  patch.forEach((v, i) => {
    mass += v;
    cx += v * (i % 28);
    cy += v * Math.floor(i / 28);
  });
  const dx = Math.round(13.5 - cx / mass),
    dy = Math.round(13.5 - cy / mass);
  const out = new Float32Array(28 * 28);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const sx = x - dx,
        sy = y - dy;
      if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = patch[sy * 28 + sx];
    }
  }
  return out;
}
