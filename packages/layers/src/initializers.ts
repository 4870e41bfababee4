// Weight initializers, all drawn from the seedable counter-based RNG: the same seed gives the same
// weights on every backend. Fans follow Keras: a kernel [..receptive, fanIn, fanOut] has
// fanIn = receptive·in, fanOut = receptive·out.
import { fill, normalValues, randomNormal, randomUniform, tensor, type Shape, type Tensor } from '@webgrad/core';

export interface Initializer {
  readonly name: string;
  readonly config: Readonly<Record<string, number>>;
  init(shape: Shape, seed: number): Tensor;
}

export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  const receptive = shape.slice(0, -2).reduce((n, d) => n * d, 1);
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

const make = (
  name: string,
  config: Record<string, number>,
  init: (shape: Shape, seed: number) => Tensor,
): Initializer => ({ name, config, init });

export const zeros = (): Initializer => make('zeros', {}, (shape) => fill(shape, 0));
export const ones = (): Initializer => make('ones', {}, (shape) => fill(shape, 1));
export const constant = ({ value }: { value: number }): Initializer =>
  make('constant', { value }, (shape) => fill(shape, value));

export const randomNormalInit = ({ mean = 0, stddev = 0.05 }: { mean?: number; stddev?: number } = {}): Initializer =>
  make('randomNormal', { mean, stddev }, (shape, seed) => randomNormal(shape, mean, stddev, { seed }));
export const randomUniformInit = ({
  minval = -0.05,
  maxval = 0.05,
}: { minval?: number; maxval?: number } = {}): Initializer =>
  make('randomUniform', { minval, maxval }, (shape, seed) => randomUniform(shape, minval, maxval, { seed }));

// Variance scaling: Var(w) = scale / n with n = fanIn, fanOut or their mean (Glorot & Bengio 2010;
// He et al. 2015; LeCun 1998). Normal variants are plain (not truncated) normals.
const varianceScaling =
  (name: string, scale: number, mode: 'fanIn' | 'fanAvg', distribution: 'normal' | 'uniform') => (): Initializer =>
    make(name, {}, (shape, seed) => {
      const { fanIn, fanOut } = fans(shape);
      const variance = scale / (mode === 'fanIn' ? fanIn : (fanIn + fanOut) / 2);
      if (distribution === 'normal') return randomNormal(shape, 0, Math.sqrt(variance), { seed });
      const limit = Math.sqrt(3 * variance); // Var(U(-l, l)) = l²/3
      return randomUniform(shape, -limit, limit, { seed });
    });

export const glorotUniform = varianceScaling('glorotUniform', 1, 'fanAvg', 'uniform');
export const glorotNormal = varianceScaling('glorotNormal', 1, 'fanAvg', 'normal');
export const heUniform = varianceScaling('heUniform', 2, 'fanIn', 'uniform');
export const heNormal = varianceScaling('heNormal', 2, 'fanIn', 'normal');
export const lecunNormal = varianceScaling('lecunNormal', 1, 'fanIn', 'normal');
export const lecunUniform = varianceScaling('lecunUniform', 1, 'fanIn', 'uniform');

/**
 * Keras's default recurrent initializer: a random orthogonal matrix (Saxe et al. 2014), the Q of a QR
 * decomposition of a normal matrix with R's diagonal made positive. Drawn on the host by modified
 * Gram–Schmidt from the seeded normal stream, so every backend gets the same matrix.
 */
export const orthogonal = ({ gain = 1 }: { gain?: number } = {}): Initializer => ({
  name: 'orthogonal',
  config: { gain },
  init(shape: Shape, seed: number): Tensor {
    const cols = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((n, d) => n * d, 1);
    // columns of a tall matrix (height ≥ width) are made orthonormal; a wide one is its transpose
    const height = Math.max(rows, cols),
      width = Math.min(rows, cols);
    const a = normalValues(height * width, seed); // a[i·width + j]: row i, column j
    for (let j = 0; j < width; j++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < height; i++) dot += a[i * width + j] * a[i * width + k];
        for (let i = 0; i < height; i++) a[i * width + j] -= dot * a[i * width + k];
      }
      let norm = 0;
      for (let i = 0; i < height; i++) norm += a[i * width + j] ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < height; i++) a[i * width + j] /= norm;
    }
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows >= cols ? a[r * width + c] : a[c * width + r]);
    }
    return tensor(out, shape);
  },
});

export const initializerFactories = {
  zeros,
  ones,
  constant,
  randomNormal: randomNormalInit,
  randomUniform: randomUniformInit,
  glorotUniform,
  glorotNormal,
  heUniform,
  heNormal,
  lecunNormal,
  lecunUniform,
  orthogonal,
} as const;
export type InitializerName = keyof typeof initializerFactories;

/** An initializer from its name ('glorotUniform') or itself; unknown names list the known ones. */
export function getInitializer(spec: InitializerName | Initializer): Initializer {
  if (typeof spec !== 'string') return spec;
  const factory = (Object.hasOwn(initializerFactories, spec) ? initializerFactories[spec] : undefined) as
    ((config?: never) => Initializer) | undefined; // own names only: not 'constructor'
  if (!factory || spec === 'constant') {
    throw new Error(
      `unknown initializer '${spec}'; expected one of ${Object.keys(initializerFactories).join(', ')} (constant needs {value})`,
    );
  }
  return factory();
}
