// Layers that move values without weights, NHWC like the conv layers: UpSampling2D (nearest repeats
// rows and columns; bilinear interpolates as Keras 3 does through tf.image.resize, half-pixel centres).
// Each is built from differentiable core ops (reshape, broadcastTo, matmul), so its gradient comes
// from theirs.
import { broadcastTo, matmul, reshape, tensor, type Shape, type Tensor } from '@webgrad/core';
import type { BaseLayerOptions, Layer } from '../layer.js';
import { defineLayer } from '../symbolic.js';
import { stateless } from './basic.js';

type Pair = number | [number, number];

const fmtShape = (s: Shape): string => `[${s.join(',')}]`;

function pairOf(op: string, what: string, v: Pair, min: number): [number, number] {
  const p: unknown[] = typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : [];
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && (d as number) >= min)) {
    throw new Error(`${op}: ${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}

/** Refuses a sample shape that is not [height, width, channels]. */
function requireImage(op: string, s: Shape): void {
  if (s.length !== 3) throw new Error(`${op}: input shape must be [height, width, channels], got ${fmtShape(s)}`);
}

export interface UpSampling2DOptions extends BaseLayerOptions {
  /** Factors for rows and columns (Keras: (2, 2)). */
  size?: Pair;
  interpolation?: 'nearest' | 'bilinear';
}

/**
 * The [outSize, inSize] matrix of 1-D linear interpolation with half-pixel centres, as TF's resize
 * computes it: output i samples the input at (i + 0.5)/factor − 0.5, between its floor and ceiling,
 * both clamped to the edges (so the border rows repeat instead of reaching outside).
 */
export function bilinearWeights(inSize: number, factor: number): Float32Array {
  const outSize = inSize * factor;
  const weights = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const at = (i + 0.5) / factor - 0.5;
    const floor = Math.floor(at);
    const lerp = at - floor;
    const lower = Math.max(floor, 0);
    const upper = Math.min(Math.ceil(at), inSize - 1);
    weights[i * inSize + lower] += 1 - lerp;
    weights[i * inSize + upper] += lerp;
  }
  return weights;
}

/** Scales height and width by integer factors: nearest repeats each pixel, bilinear interpolates. */
export function upSampling2d(options: UpSampling2DOptions = {}): Layer {
  const { size = [2, 2], interpolation = 'nearest' } = options;
  const [fh, fw] = pairOf('upSampling2d', 'size', size, 1);
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
    throw new Error(
      `upSampling2d: interpolation must be 'nearest' or 'bilinear', got ${JSON.stringify(interpolation)}`,
    );
  }
  const outputShape = (s: Shape): Shape => {
    requireImage('upSampling2d', s);
    return [s[0] * fh, s[1] * fw, s[2]];
  };
  const nearest = (x: Tensor): Tensor => {
    const [n, h, w, c] = x.shape;
    // a size-1 axis after rows and after columns, broadcast to the factor: each pixel repeated
    const spread = broadcastTo(reshape(x, [n, h, 1, w, 1, c]), [n, h, fh, w, fw, c]);
    return reshape(spread, [n, h * fh, w * fw, c]);
  };
  const bilinear = (x: Tensor): Tensor => {
    const [n, h, w, c] = x.shape;
    // rows: [H, h] · [n, h, w·c]; then columns: [W, w] · [n·H, w, c]. Two small matmuls, no transpose.
    const rows = matmul(tensor(bilinearWeights(h, fh), [h * fh, h]), reshape(x, [n, h, w * c]));
    const cols = matmul(tensor(bilinearWeights(w, fw), [w * fw, w]), reshape(rows, [n * h * fh, w, c]));
    return reshape(cols, [n, h * fh, w * fw, c]);
  };
  return defineLayer(
    stateless('UpSampling2D', 'up_sampling2d', options, {
      computeOutputShape: outputShape,
      call(x: Tensor) {
        outputShape(x.shape.slice(1));
        if (fh === 1 && fw === 1) return x;
        return interpolation === 'nearest' ? nearest(x) : bilinear(x);
      },
      getConfig: () => ({ size: [fh, fw], interpolation }),
    }),
  );
}
