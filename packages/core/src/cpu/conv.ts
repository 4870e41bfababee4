// The CPU reference for convolution, pooling and image translation: the defining sums, loop by loop, in float64.
import type { Conv2DGeometry, PoolKind } from '../backend.js';

/** Calls visit(ih, iw) for each tap of output (oh, ow) that lands inside the input. */
function taps(
  g: Conv2DGeometry,
  oh: number,
  ow: number,
  dilated: boolean,
  visit: (ih: number, iw: number, kh: number, kw: number) => void,
): void {
  const dh = dilated ? g.dilationH : 1,
    dw = dilated ? g.dilationW : 1;
  for (let kh = 0; kh < g.KH; kh++) {
    const ih = oh * g.strideH - g.padTop + kh * dh;
    if (ih < 0 || ih >= g.H) continue;
    for (let kw = 0; kw < g.KW; kw++) {
      const iw = ow * g.strideW - g.padLeft + kw * dw;
      if (iw >= 0 && iw < g.W) visit(ih, iw, kh, kw);
    }
  }
}

const xIndex = (g: Conv2DGeometry, n: number, ih: number, iw: number, c: number) =>
  ((n * g.H + ih) * g.W + iw) * g.C + c;

export function conv2d(
  x: Float64Array,
  filter: Float64Array,
  g: Conv2DGeometry,
  CO: number,
  bias: Float64Array | undefined,
  activation: (z: number) => number,
): Float64Array {
  const out = new Float64Array(g.N * g.OH * g.OW * CO);
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < g.OH; oh++) {
      for (let ow = 0; ow < g.OW; ow++) {
        for (let co = 0; co < CO; co++) {
          let acc = bias ? bias[co] : 0;
          taps(g, oh, ow, true, (ih, iw, kh, kw) => {
            for (let ci = 0; ci < g.C; ci++) {
              acc += x[xIndex(g, n, ih, iw, ci)] * filter[((kh * g.KW + kw) * g.C + ci) * CO + co];
            }
          });
          out[((n * g.OH + oh) * g.OW + ow) * CO + co] = activation(acc);
        }
      }
    }
  }
  return out;
}

// Both gradients scatter each output position's dy back along the taps that produced it. The input
// gradient is also conv2dTranspose's forward (dy its input), which adds bias and activation at the end.
export function conv2dInputGrad(
  dy: Float64Array,
  filter: Float64Array,
  g: Conv2DGeometry,
  CO: number,
  bias?: Float64Array,
  activation: (z: number) => number = (z) => z,
): Float64Array {
  const dx = new Float64Array(g.N * g.H * g.W * g.C);
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < g.OH; oh++) {
      for (let ow = 0; ow < g.OW; ow++) {
        taps(g, oh, ow, true, (ih, iw, kh, kw) => {
          for (let ci = 0; ci < g.C; ci++) {
            for (let co = 0; co < CO; co++) {
              dx[xIndex(g, n, ih, iw, ci)] +=
                dy[((n * g.OH + oh) * g.OW + ow) * CO + co] * filter[((kh * g.KW + kw) * g.C + ci) * CO + co];
            }
          }
        });
      }
    }
  }
  return dx.map((z, i) => activation(bias ? z + bias[i % g.C] : z));
}

export function conv2dFilterGrad(x: Float64Array, dy: Float64Array, g: Conv2DGeometry, CO: number): Float64Array {
  const df = new Float64Array(g.KH * g.KW * g.C * CO);
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < g.OH; oh++) {
      for (let ow = 0; ow < g.OW; ow++) {
        taps(g, oh, ow, true, (ih, iw, kh, kw) => {
          for (let ci = 0; ci < g.C; ci++) {
            for (let co = 0; co < CO; co++) {
              df[((kh * g.KW + kw) * g.C + ci) * CO + co] +=
                x[xIndex(g, n, ih, iw, ci)] * dy[((n * g.OH + oh) * g.OW + ow) * CO + co];
            }
          }
        });
      }
    }
  }
  return df;
}

export function pool2d(kind: PoolKind, x: Float64Array, g: Conv2DGeometry): Float64Array {
  const out = new Float64Array(g.N * g.OH * g.OW * g.C);
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < g.OH; oh++) {
      for (let ow = 0; ow < g.OW; ow++) {
        for (let c = 0; c < g.C; c++) {
          let best = -Infinity,
            total = 0,
            count = 0;
          taps(g, oh, ow, false, (ih, iw) => {
            const v = x[xIndex(g, n, ih, iw, c)];
            best = Math.max(best, v);
            total += v;
            count++;
          });
          out[((n * g.OH + oh) * g.OW + ow) * g.C + c] = kind === 'max' ? best : total / Math.max(count, 1);
        }
      }
    }
  }
  return out;
}

export function pool2dGrad(kind: PoolKind, x: Float64Array, dy: Float64Array, g: Conv2DGeometry): Float64Array {
  const dx = new Float64Array(x.length);
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < g.OH; oh++) {
      for (let ow = 0; ow < g.OW; ow++) {
        for (let c = 0; c < g.C; c++) {
          const window: number[] = [];
          taps(g, oh, ow, false, (ih, iw) => window.push(xIndex(g, n, ih, iw, c)));
          const grad = dy[((n * g.OH + oh) * g.OW + ow) * g.C + c];
          if (kind === 'avg') {
            window.forEach((i) => {
              dx[i] += grad / window.length;
            });
          } else if (window.length) dx[window.reduce((best, i) => (x[i] > x[best] ? i : best))] += grad; // first max wins
        }
      }
    }
  }
  return dx;
}

export function translate(
  x: Float64Array,
  [N, H, W, C]: readonly number[],
  shifts: Float64Array,
  direction: number,
): Float64Array {
  const out = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    const sh = direction * shifts[2 * n],
      sw = direction * shifts[2 * n + 1];
    for (let h = 0; h < H; h++) {
      for (let w = 0; w < W; w++) {
        const ih = h - sh,
          iw = w - sw;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        for (let c = 0; c < C; c++) out[((n * H + h) * W + w) * C + c] = x[((n * H + ih) * W + iw) * C + c];
      }
    }
  }
  return out;
}
