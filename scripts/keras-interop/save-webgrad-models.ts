// Saves webgrad models as Keras 3 .keras files, with their inputs and webgrad's predictions, into a
// folder, for check_in_keras.py to load with Keras itself. tests/interop/keras-python.test.ts calls
// writeWebgradModels; by hand, from the repository root:
//   npx tsx scripts/keras-interop/save-webgrad-models.ts <folder>
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tensor, type Tensor } from '@webgrad/core';
import {
  adam,
  add,
  averagePooling2d,
  batchNormalization,
  concatenate,
  conv2d,
  dense,
  dropout,
  embedding,
  flatten,
  gru,
  input,
  lstm,
  maxPooling2d,
  model,
  sequential,
  simpleRNN,
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

/** Writes mlp, cnn, functional and recurrent .keras files, resume.keras and expected.json; returns their names. */
export async function writeWebgradModels(folder: string): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const expected: Record<string, unknown> = {};
  for (const [name, make] of Object.entries({ mlp, cnn, functional, recurrent })) {
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
  // a training to resume in Keras: Adam's step count and moments travel with includeOptimizer
  const resume = sequential([dense({ units: 4, activation: 'tanh', inputShape: [3] }), dense({ units: 2 })]);
  resume.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
  const rx = tensor(wave(15), [5, 3]);
  const ry = tensor(wave(10, 2), [5, 2]);
  for (let step = 0; step < 3; step++) await resume.trainOnBatch(rx, ry);
  await resume.save(join(folder, 'resume.keras'), { includeOptimizer: true });
  await resume.trainOnBatch(rx, ry);
  expected.resume = {
    x: { shape: rx.shape, values: Array.from(await rx.data()) },
    y: { shape: ry.shape, values: Array.from(await ry.data()) },
    iterations: 3,
    afterOneMoreStep: Array.from(await (resume.predict(rx) as Tensor).data()),
  };
  await writeFile(join(folder, 'expected.json'), JSON.stringify(expected));
  return Object.keys(expected);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const folder = process.argv[2] ?? 'keras-interop-out';
  const names = await writeWebgradModels(folder);
  console.log(`wrote ${names.join(', ')} to ${folder}`);
}
