// Embedding: int32 ids [batch, …] pick rows of a [inputDim, outputDim] table, giving [batch, …, outputDim].
// The forward is core's gather; its gradient is gather's backward, a deterministic segment sum of the
// rows that picked each id (no float atomics), so training is bit-reproducible. The CPU backend refuses
// ids outside [0, inputDim) by position and value. Masks start here: Embedding's maskZero (id 0 is
// padding) and Masking (a timestep whose features all equal maskValue is padding) give the float
// [batch, T] mask (1 = keep) that the recurrent layers after them read.
import {
  abs,
  cast,
  gather,
  greater,
  max,
  mul,
  reshape,
  sub,
  type Shape,
  type Tensor,
  type Variable,
} from '@webgrad/core';
import type { Initializer, InitializerName } from '../initializers.js';
import { describeInit, makeWeight, uniqueName, type BaseLayerOptions, type Layer } from '../layer.js';
import { defineLayer, describeLayer } from '../symbolic.js';

export interface EmbeddingOptions extends BaseLayerOptions {
  /** The number of distinct ids: ids run over [0, inputDim). */
  inputDim: number;
  /** The length of each id's vector. */
  outputDim: number;
  /** Keras's default: uniform in [−0.05, 0.05]. */
  embeddingsInitializer?: InitializerName | Initializer;
  /**
   * Id 0 is padding: the layer's output carries a mask (0 where the id is 0) that recurrent layers after
   * it read (Keras's mask_zero); inputDim then counts the padding id too.
   */
  maskZero?: boolean;
  /** The fixed sequence length, Keras's input_length: sets the input shape to [inputLength]. */
  inputLength?: number;
}

const fmtShape = (s: Shape): string => `[${s.join(',')}]`;

export function embedding(options: EmbeddingOptions): Layer {
  const { inputDim, outputDim, embeddingsInitializer = 'randomUniform', maskZero = false, inputLength } = options;
  for (const [what, value] of [
    ['inputDim', inputDim],
    ['outputDim', outputDim],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`embedding: ${what} must be a positive integer, got ${value}`);
    }
  }
  if (inputLength !== undefined && (!Number.isInteger(inputLength) || inputLength < 1)) {
    throw new Error(`embedding: inputLength must be a positive integer, got ${inputLength}`);
  }
  let embeddings: Variable | undefined;
  const checkShape = (s: Shape): void => {
    if (s.length === 0) throw new Error(`expected ids of shape [batch, timesteps], got [batch] (one id per sample)`);
    if (inputLength !== undefined && (s.length !== 1 || s[0] !== inputLength)) {
      throw new Error(`expected ids of shape [batch, ${inputLength}] (inputLength), got [batch, ${s.join(', ')}]`);
    }
  };
  const layer: Layer = defineLayer({
    className: 'Embedding',
    name: options.name ?? uniqueName('embedding'),
    inputShape: options.inputShape ?? (inputLength !== undefined ? [inputLength] : undefined),
    inputDtype: 'int32',
    weights: [],
    get built() {
      return embeddings !== undefined;
    },
    build(inputShape, seed) {
      checkShape(inputShape);
      embeddings = makeWeight(`${layer.name}/embeddings`, [inputDim, outputDim], embeddingsInitializer, seed);
      layer.weights.push(embeddings);
    },
    computeOutputShape(inputShape) {
      checkShape(inputShape);
      return [...inputShape, outputDim];
    },
    call(x: Tensor) {
      if (x.dtype !== 'int32') {
        throw new Error(
          `${describeLayer(layer)}: ids must be int32, got ${x.dtype} input of shape ${fmtShape(x.shape)}; ` +
            `cast them with cast(x, 'int32') or declare input({shape, dtype: 'int32'})`,
        );
      }
      try {
        checkShape(x.shape.slice(1));
      } catch (error) {
        throw new Error(`${describeLayer(layer)}: ${(error as Error).message}`, { cause: error });
      }
      try {
        return gather(embeddings!, x, 0);
      } catch (error) {
        // the CPU backend checks every id; name the layer and its table so the message says which ids
        throw new Error(
          `${describeLayer(layer)} with inputDim ${inputDim}, ids of shape ${fmtShape(x.shape)}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    },
    computeMask: (x: Tensor) => (maskZero ? greater(cast(x, 'float32'), 0) : undefined),
    getConfig: () => ({
      inputDim,
      outputDim,
      maskZero,
      ...(inputLength !== undefined ? { inputLength } : {}),
      embeddingsInitializer: describeInit(embeddingsInitializer),
    }),
  });
  return layer;
}

export interface MaskingOptions extends BaseLayerOptions {
  /** The value that marks padding: a timestep whose features all equal it is masked (Keras: 0). */
  maskValue?: number;
}

/** Masking: zeros the padding timesteps of [batch, T, …] and gives the mask [batch, T] the layers after it read. */
export function masking(options: MaskingOptions = {}): Layer {
  const { maskValue = 0 } = options;
  if (typeof maskValue !== 'number' || Number.isNaN(maskValue)) {
    throw new Error(`masking: maskValue must be a number, got ${JSON.stringify(maskValue)}`);
  }
  const expectSequence = (s: Shape): void => {
    if (s.length < 2) {
      throw new Error(
        `expected input of shape [batch, timesteps, features…] (rank 3 or more), got [batch, ${s.join(', ')}]`,
      );
    }
  };
  /** 1 where any feature of the timestep differs from maskValue: [batch, T]. */
  const keep = (x: Tensor): Tensor => {
    const axes = x.shape.map((_, i) => i).slice(2);
    return greater(max(abs(sub(x, maskValue)), axes), 0);
  };
  const layer: Layer = defineLayer({
    className: 'Masking',
    name: options.name ?? uniqueName('masking'),
    inputShape: options.inputShape,
    weights: [],
    built: true,
    build: () => {},
    computeOutputShape(s) {
      expectSequence(s);
      return s;
    },
    call(x: Tensor) {
      try {
        expectSequence(x.shape.slice(1));
      } catch (error) {
        throw new Error(`${describeLayer(layer)}: ${(error as Error).message}`, { cause: error });
      }
      const m = keep(x);
      return mul(x, reshape(m, [...m.shape, ...x.shape.slice(2).map(() => 1)]));
    },
    computeMask: (x: Tensor) => keep(x),
    getConfig: () => ({ maskValue }),
  });
  return layer;
}
