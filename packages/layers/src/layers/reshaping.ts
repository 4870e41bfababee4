// Layers that move values without weights, NHWC like the conv layers: UpSampling2D (nearest repeats
// rows and columns; bilinear interpolates as Keras 3 does through tf.image.resize, half-pixel centres),
// RepeatVector, Permute, ZeroPadding2D and Cropping2D. Each is built from differentiable core ops
// (reshape, broadcastTo, matmul, transpose, pad, slice), so its gradient comes from theirs.
import { broadcastTo, matmul, pad, reshape, slice, tensor, transpose, type Shape, type Tensor } from '@webgrad/core';
import type { BaseLayerOptions, Layer } from '../layer.js';
import { defineLayer } from '../symbolic.js';
import { checkedStateless } from './basic.js';

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
    checkedStateless('UpSampling2D', 'up_sampling2d', options, {
      computeOutputShape: outputShape,
      call(x: Tensor) {
        if (fh === 1 && fw === 1) return x;
        return interpolation === 'nearest' ? nearest(x) : bilinear(x);
      },
      getConfig: () => ({ size: [fh, fw], interpolation }),
    }),
  );
}

/** (None, features) → (None, n, features): the vector repeated n times (a sequence decoder's input). */
export function repeatVector(options: BaseLayerOptions & { n: number }): Layer {
  const { n } = options;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`repeatVector: n must be a positive integer, got ${JSON.stringify(n)}`);
  }
  const outputShape = (s: Shape): Shape => {
    if (s.length !== 1) throw new Error(`repeatVector: input shape must be [features], got ${fmtShape(s)}`);
    return [n, s[0]];
  };
  return defineLayer(
    checkedStateless('RepeatVector', 'repeat_vector', options, {
      computeOutputShape: outputShape,
      call(x: Tensor) {
        const [batch, features] = x.shape;
        return broadcastTo(reshape(x, [batch, 1, features]), [batch, n, features]);
      },
      getConfig: () => ({ n }),
    }),
  );
}

/** The sample axes reordered: output axis i is input axis dims[i] (1-based, the batch axis stays first). */
export function permute(options: BaseLayerOptions & { dims: number[] }): Layer {
  const { dims } = options;
  const valid = Array.isArray(dims) && dims.length > 0 && [...dims].sort((a, b) => a - b).every((d, i) => d === i + 1);
  if (!valid) {
    throw new Error(
      `permute: dims must be a permutation of 1..n (the sample axes, 1-based), got ${JSON.stringify(dims)}`,
    );
  }
  const outputShape = (s: Shape): Shape => {
    if (s.length !== dims.length) {
      throw new Error(`permute: dims [${dims.join(',')}] need a rank-${dims.length} sample, got ${fmtShape(s)}`);
    }
    return dims.map((d) => s[d - 1]);
  };
  return defineLayer(
    checkedStateless('Permute', 'permute', options, {
      computeOutputShape: outputShape,
      call(x: Tensor) {
        return transpose(x, [0, ...dims]);
      },
      getConfig: () => ({ dims: [...dims] }),
    }),
  );
}

type Margins = number | [number, number] | [[number, number], [number, number]];

/** Keras's padding/cropping forms — n, [rows, cols], [[top, bottom], [left, right]] — as the last. */
function marginsOf(op: string, what: string, v: Margins): [[number, number], [number, number]] {
  const ok = (d: unknown) => Number.isInteger(d) && (d as number) >= 0;
  if (ok(v)) {
    const n = v as number;
    return [
      [n, n],
      [n, n],
    ];
  }
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) {
    const [h, w] = v as [number, number];
    return [
      [h, h],
      [w, w],
    ];
  }
  if (Array.isArray(v) && v.length === 2 && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok))) {
    return v as [[number, number], [number, number]];
  }
  throw new Error(
    `${op}: ${what} must be a non-negative integer, [rows, cols] or [[top, bottom], [left, right]], got ${JSON.stringify(v)}`,
  );
}

/** Zeros around each image: rows above and below, columns left and right (Keras: 1 everywhere). */
export function zeroPadding2d(options: BaseLayerOptions & { padding?: Margins } = {}): Layer {
  const [[top, bottom], [left, right]] = marginsOf('zeroPadding2d', 'padding', options.padding ?? 1);
  const outputShape = (s: Shape): Shape => {
    requireImage('zeroPadding2d', s);
    return [s[0] + top + bottom, s[1] + left + right, s[2]];
  };
  return defineLayer(
    checkedStateless('ZeroPadding2D', 'zero_padding2d', options, {
      computeOutputShape: outputShape,
      call(x: Tensor) {
        return pad(x, [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ]);
      },
      getConfig: () => ({
        padding: [
          [top, bottom],
          [left, right],
        ],
      }),
    }),
  );
}

/** Each image with rows cut from the top and bottom and columns from the left and right (Keras: none). */
export function cropping2d(options: BaseLayerOptions & { cropping?: Margins } = {}): Layer {
  const [[top, bottom], [left, right]] = marginsOf('cropping2d', 'cropping', options.cropping ?? 0);
  const outputShape = (s: Shape): Shape => {
    requireImage('cropping2d', s);
    const [h, w] = [s[0] - top - bottom, s[1] - left - right];
    if (h < 1 || w < 1) {
      throw new Error(
        `cropping2d: cropping [[${top}, ${bottom}], [${left}, ${right}]] leaves nothing of an input of shape ${fmtShape(s)}`,
      );
    }
    return [h, w, s[2]];
  };
  return defineLayer(
    checkedStateless('Cropping2D', 'cropping2d', options, {
      computeOutputShape: outputShape,
      call(x: Tensor) {
        const [h, w] = [x.shape[1] - top - bottom, x.shape[2] - left - right];
        return slice(x, [0, top, left, 0], [-1, h, w, -1]);
      },
      getConfig: () => ({
        cropping: [
          [top, bottom],
          [left, right],
        ],
      }),
    }),
  );
}
