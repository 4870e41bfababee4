// Saves webgrad models as Keras 3 .keras files, with their inputs and webgrad's predictions, into a
// folder, for check_in_keras.py to load with Keras itself. tests/interop/keras-python.test.ts calls
// writeWebgradModels; by hand, from the repository root:
//   npx tsx scripts/keras-interop/save-webgrad-models.ts <folder>
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tensor, type Tensor } from '@webgrad/core';
import {
  activityRegularization,
  adam,
  add,
  averagePooling2d,
  batchNormalization,
  bidirectional,
  concatenate,
  conv1d,
  conv2d,
  conv2dTranspose,
  cropping2d,
  dense,
  dot,
  dropout,
  elu as eluLayer,
  embedding,
  flatten,
  gaussianDropout,
  gaussianNoise,
  gru,
  input,
  layerNormalization,
  leakyReLU,
  lstm,
  masking,
  maxPooling2d,
  model,
  permute,
  prelu,
  relu as reluLayer,
  repeatVector,
  reshape as reshapeLayer,
  sequential,
  simpleRNN,
  softmax as softmaxLayer,
  spectralNormalization,
  timeDistributed,
  upSampling2d,
  zeroPadding2d,
  type Model,
  type SymbolicTensor,
} from '@webgrad/layers';

type AnyModel = Model<SymbolicTensor | SymbolicTensor[]>;
const wave = (n: number, shift = 0) => Array.from({ length: n }, (_, i) => Math.sin(0.7 * i + shift));

function mlp(): [AnyModel, Tensor] {
  const net = sequential([
    dense({ units: 6, activation: 'relu', inputShape: [4] }),
    batchNormalization(),
    dropout({ rate: 0.25 }),
    dense({ units: 3, activation: 'softmax' }),
  ]);
  return [net as unknown as AnyModel, tensor(wave(12), [3, 4])];
}

function cnn(): [AnyModel, Tensor] {
  const net = sequential([
    conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 2] }),
    batchNormalization(),
    maxPooling2d({ poolSize: 2 }),
    conv2d({ filters: 3, kernelSize: 2 }),
    averagePooling2d({ poolSize: 3 }),
    flatten(),
    dense({ units: 2 }),
  ]);
  return [net as unknown as AnyModel, tensor(wave(256), [2, 8, 8, 2])];
}

function functional(): [AnyModel, Tensor] {
  const x = input({ shape: [6], name: 'features' });
  const b = dense({ units: 4, activation: 'sigmoid', name: 'b' }).apply(x) as SymbolicTensor;
  const a = dense({ units: 4, activation: 'tanh', name: 'a' }).apply(x) as SymbolicTensor;
  const c = dense({ units: 4, name: 'c' }).apply(a) as SymbolicTensor;
  const sum = add({ name: 'sum' }).apply([b, c]) as SymbolicTensor;
  const joined = concatenate({ name: 'joined' }).apply([sum, a]) as SymbolicTensor;
  const head = sequential([dense({ units: 3, inputShape: [8], name: 'inner' })], { name: 'head' });
  const out = head.apply(joined) as SymbolicTensor;
  return [
    model({ inputs: x, outputs: [out, sum], name: 'two_outputs' }) as unknown as AnyModel,
    tensor(wave(18), [3, 6]),
  ];
}

function recurrent(): [AnyModel, Tensor] {
  const t = input({ shape: [5], dtype: 'int32', name: 'tokens' });
  const e = embedding({ inputDim: 12, outputDim: 4 }).apply(t) as SymbolicTensor;
  const seq = lstm({ units: 3, returnSequences: true }).apply(e) as SymbolicTensor;
  const g = gru({ units: 3 }).apply(seq) as SymbolicTensor;
  const r = simpleRNN({ units: 2 }).apply(seq) as SymbolicTensor;
  const out = dense({ units: 1 }).apply(concatenate().apply([g, r]) as SymbolicTensor) as SymbolicTensor;
  return [
    model({ inputs: t, outputs: out }) as unknown as AnyModel,
    tensor([1, 2, 3, 4, 5, 11, 8, 7, 0, 1], [2, 5], 'int32'),
  ];
}

/** A DCGAN-like generator: Dense, Reshape, Conv2DTranspose + BatchNormalization + LeakyReLU, UpSampling2D. */
function generator(): [AnyModel, Tensor] {
  const net = sequential([
    dense({ units: 2 * 2 * 6, inputShape: [4] }),
    reshapeLayer({ targetShape: [2, 2, 6] }),
    conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
    batchNormalization(),
    leakyReLU({ negativeSlope: 0.2 }),
    upSampling2d({ size: 2 }),
    conv2dTranspose({ filters: 2, kernelSize: [3, 2], padding: 'valid', activation: 'tanh' }),
  ]);
  return [net as unknown as AnyModel, tensor(wave(8), [2, 4])];
}

/** A sequence tagger: Bidirectional(LSTM) and Bidirectional(GRU, summed), then TimeDistributed(Dense). */
function tagger(): [AnyModel, Tensor] {
  const net = sequential([
    bidirectional({ layer: lstm({ units: 3, returnSequences: true }), inputShape: [5, 4] }),
    bidirectional({ layer: gru({ units: 2, returnSequences: true }), mergeMode: 'sum' }),
    timeDistributed({ layer: dense({ units: 2, activation: 'sigmoid' }) }),
  ]);
  return [net as unknown as AnyModel, tensor(wave(40), [2, 5, 4])];
}

/** A discriminator of SpectralNormalization-wrapped Conv2D and Dense layers. */
function critic(): [AnyModel, Tensor] {
  const net = sequential([
    spectralNormalization({
      layer: conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
      inputShape: [6, 6, 2],
    }),
    leakyReLU(),
    flatten(),
    spectralNormalization({ layer: dense({ units: 1 }), powerIterations: 2 }),
  ]);
  return [net as unknown as AnyModel, tensor(wave(144), [2, 6, 6, 2])];
}

/** The other layers Keras 3 shares with webgrad, in one functional graph of one [6, 3] sequence input. */
function assorted(): [AnyModel, Tensor] {
  const s = input({ shape: [6, 3], name: 'sequence' });
  // each layer's apply on a symbolic tensor or list; the layers' own overloads differ in what they take
  const at = (layer: unknown, x: SymbolicTensor | SymbolicTensor[]) =>
    (layer as { apply: (x: unknown) => SymbolicTensor }).apply(x);
  const c = at(conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), s);
  const normed = at(layerNormalization({ epsilon: 1e-2 }), c);
  const turned = at(permute({ dims: [2, 1] }), normed);
  const clipped = at(reluLayer({ maxValue: 1.5, negativeSlope: 0.1, threshold: 0.2 }), turned);
  const summary = at(lstm({ units: 3 }), at(masking({ maskValue: 0 }), s));
  const repeated = at(flatten(), at(repeatVector({ n: 2 }), summary));
  const image = at(reshapeLayer({ targetShape: [6, 3, 1] }), s);
  const padded = at(zeroPadding2d({ padding: 1 }), image);
  const cropped = at(
    cropping2d({
      cropping: [
        [1, 0],
        [0, 1],
      ],
    }),
    padded,
  );
  const grown = at(upSampling2d({ size: 2, interpolation: 'bilinear' }), cropped);
  const noisy = at(gaussianDropout({ rate: 0.2 }), at(gaussianNoise({ stddev: 0.3 }), at(flatten(), grown)));
  const a = at(prelu({ alphaInitializer: 'ones' }), at(dense({ units: 4 }), at(flatten(), clipped)));
  const b = at(eluLayer({ alpha: 0.7 }), at(dense({ units: 4 }), noisy));
  const cosine = at(dot({ axes: 1, normalize: true }), [a, b]);
  const plain = at(dot({ axes: 1 }), [a, at(dense({ units: 4 }), repeated)]);
  const joined = at(concatenate(), [cosine, plain, a, b]);
  const regularized = at(activityRegularization({ l1: 0.01, l2: 0.02 }), joined);
  const out = at(softmaxLayer({ axis: -1 }), regularized);
  // a step padded with the mask value, so Masking has a step to mask
  const x = wave(36).map((v, i) => (i >= 15 && i < 18 ? 0 : v));
  return [
    model({ inputs: s, outputs: [out, regularized], name: 'assorted' }) as unknown as AnyModel,
    tensor(x, [2, 6, 3]),
  ];
}

/** Writes the models' .keras files, resume.keras, resume_wrapped.keras and expected.json; returns their names. */
export async function writeWebgradModels(folder: string): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const expected: Record<string, unknown> = {};
  for (const [name, make] of Object.entries({ mlp, cnn, functional, recurrent, generator, tagger, critic, assorted })) {
    const [net, x] = make();
    // BatchNormalization's moving statistics away from 0 and 1, so predicting uses them
    for (const w of net.weights) {
      if (/moving_(mean|variance)$/.test(w.name)) {
        const n = w.shape.reduce((p, d) => p * d, 1);
        w.assign(
          tensor(
            wave(n, 1).map((v) => (w.name.endsWith('variance') ? 1.5 + v : 0.3 * v)),
            w.shape,
          ),
        );
      }
    }
    await net.save(join(folder, `${name}.keras`));
    const y = net.predict(x) as Tensor | Tensor[];
    const outputs = await Promise.all(
      (Array.isArray(y) ? y : [y]).map(async (t) => ({ shape: t.shape, values: Array.from(await t.data()) })),
    );
    expected[name] = { x: { shape: x.shape, dtype: x.dtype, values: Array.from(await x.data()) }, outputs };
  }
  // trainings to resume in Keras: Adam's step count and moments travel with includeOptimizer, the
  // wrapped ones' in Keras's order of the wrappers' variables (SpectralNormalization's kernel once).
  // Keras 3 on JAX drops SpectralNormalization's in-call kernel update in training (its kernel keeps
  // its scale), so that model's next step is not compared, only the moments Keras loads.
  const rx = tensor(wave(15), [5, 3]);
  const ry = tensor(wave(10, 2), [5, 2]);
  const resumes = {
    resume: {
      rate: 0.05,
      make: () => sequential([dense({ units: 4, activation: 'tanh', inputShape: [3] }), dense({ units: 2 })]),
    },
    resume_wrapped: {
      rate: 0.01,
      make: () =>
        sequential([
          reshapeLayer({ targetShape: [3, 1], inputShape: [3] }),
          bidirectional({ layer: gru({ units: 2, returnSequences: true }) }),
          timeDistributed({ layer: dense({ units: 2, activation: 'tanh' }) }),
          flatten(),
          dense({ units: 2 }),
        ]),
    },
    resume_spectral: {
      rate: 0.01,
      make: () =>
        sequential([
          dense({ units: 4, activation: 'tanh', inputShape: [3] }),
          spectralNormalization({ layer: dense({ units: 2 }) }),
        ]),
    },
  };
  for (const [name, { rate, make }] of Object.entries(resumes)) {
    const resume = make();
    resume.compile({ optimizer: adam({ learningRate: rate }), loss: 'meanSquaredError' });
    for (let step = 0; step < 3; step++) await resume.trainOnBatch(rx, ry);
    await resume.save(join(folder, `${name}.keras`), { includeOptimizer: true });
    // each trainable weight's m then v, in webgrad's order of them (Keras's order too)
    const slots = resume.compiled!.optimizer.getState(resume.trainableWeights).flat();
    const moments = (await Promise.all(slots.map((t) => t.data()))).flatMap((v) => Array.from(v));
    await resume.trainOnBatch(rx, ry);
    expected[name] = {
      x: { shape: rx.shape, values: Array.from(await rx.data()) },
      y: { shape: ry.shape, values: Array.from(await ry.data()) },
      iterations: 3,
      moments,
      ...(name !== 'resume_spectral' && { afterOneMoreStep: Array.from(await (resume.predict(rx) as Tensor).data()) }),
    };
  }
  await writeFile(join(folder, 'expected.json'), JSON.stringify(expected));
  return Object.keys(expected);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const folder = process.argv[2] ?? 'keras-interop-out';
  const names = await writeWebgradModels(folder);
  console.log(`wrote ${names.join(', ')} to ${folder}`);
}
