// Embedding: int32 ids [batch, …] pick rows of a [inputDim, outputDim] table, giving [batch, …, outputDim].
// The forward is core's gather; its gradient is gather's backward, a deterministic segment sum of the
// rows that picked each id (no float atomics), so training is bit-reproducible. The CPU backend refuses
// ids outside [0, inputDim) by position and value.
import { gather, type Shape, type Tensor, type Variable } from '@webgrad/core';
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
   * Keras's mask of id 0 for the layers after it. Only false is accepted: the layer contract carries
   * no masks yet, so true would train on the padding silently.
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
  if (maskZero) {
    throw new Error(
      'embedding: maskZero is not supported yet (masks do not reach the layers after it, so they would ' +
        'train on the padding); pad with an id the model learns to ignore',
    );
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
