// Scale-out, shown by simulation: a model trained in webgrad continues its training on several devices
// with Keras 3's data parallelism on JAX, then comes back into webgrad. Three legs, one .keras file
// between each: webgrad trains an MNIST MLP (Adam) and saves it with its optimizer; Keras loads it
// under keras.distribution.DataParallel (train_data_parallel.py: here 4 simulated host CPU devices,
// on a cluster the real ones) and trains on; webgrad loads Keras's file and evaluates it. Adam's step
// count and moments travel with the weights, so the run continues where it left off.
//   node examples/scale-out/scale-out.mjs [--devices 4] [--webgrad-epochs 3] [--keras-epochs 3] [--size full|tiny]
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setBackend, tensor } from '@webgrad/core';
import '@webgrad/webgpu';
import { adam, dense, loadModel, sequential } from '@webgrad/layers';
import { kerasPython, kerasReady } from '../../scripts/keras-interop/venv.mjs';
import { rerunWithStderrPipe } from '../../scripts/stderr-pipe.mjs';
import { IMAGE_SIZE, mnistSplit } from '../mnist-data.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs a Python script with the Keras environment, echoing its lines with a prefix; rejects on failure. */
function runKeras(args, echo) {
  if (!kerasReady()) {
    throw new Error(`scale-out: no Keras 3 environment at ${kerasPython()}; run \`node scripts/setup.mjs\` first`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(kerasPython(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text) => echo(text.trimEnd()));
    child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`scale-out: Keras exited with ${code}:\n${stderr.trim()}`)),
    );
  });
}

async function lossAndAccuracy(model, x, y, batchSize) {
  const logs = await model.evaluate(x, y, { batchSize });
  return { loss: logs.loss, accuracy: logs.acc ?? logs.accuracy };
}

/**
 * The three legs in `folder`. `size: 'tiny'` trains on 512 digits (a test's budget); `verbose` is
 * webgrad's fit progress (0: none). Returns the figures of each leg: losses on the training digits,
 * test accuracy, the optimizer's step counts.
 */
export async function scaleOut({
  folder,
  size = 'full',
  devices = 4,
  webgradEpochs = 3,
  kerasEpochs = 3,
  batchSize = 128,
  verbose = 1,
  echo = console.log,
} = {}) {
  const { train, test } = mnistSplit({ seed: 1 });
  const available = size === 'tiny' ? 512 : train.n;
  const n = available - (available % batchSize); // every batch splits evenly over the devices
  const x = tensor(train.images.subarray(0, n * IMAGE_SIZE), [n, IMAGE_SIZE]);
  const y = tensor(train.labels.subarray(0, n), [n], 'int32');
  const testX = tensor(test.images, [test.n, IMAGE_SIZE]);
  const testY = tensor(test.labels, [test.n], 'int32');
  await mkdir(folder, { recursive: true });

  const net = sequential([
    dense({ units: 128, activation: 'relu', inputShape: [IMAGE_SIZE], name: 'hidden' }),
    dense({ units: 10, activation: 'softmax', name: 'digits' }),
  ]);
  net.compile({
    optimizer: adam({ learningRate: 0.002 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const history = await net.fit(x, y, { epochs: webgradEpochs, batchSize, shuffle: true, seed: 1, verbose });
  const webgrad = {
    fitLosses: history.history.loss,
    steps: net.compiled.optimizer.iterations,
    ...(await lossAndAccuracy(net, x, y, batchSize)),
    testAccuracy: (await lossAndAccuracy(net, testX, testY, 500)).accuracy,
  };
  await net.save(join(folder, 'model.keras'), { includeOptimizer: true });
  await writeFile(join(folder, 'x.bin'), Float32Array.from(await x.data()));
  await writeFile(join(folder, 'y.bin'), Int32Array.from(await y.data()));
  echo(
    `webgrad: ${webgradEpochs} epochs, ${webgrad.steps} Adam steps, loss ${webgrad.loss.toFixed(5)}; saved model.keras`,
  );

  const script = join(here, 'train_data_parallel.py');
  const flags = ['--devices', `${devices}`, '--epochs', `${kerasEpochs}`, '--batch-size', `${batchSize}`];
  await runKeras([script, folder, ...flags], (line) => echo(`  [keras] ${line.replace(/\n/g, '\n  [keras] ')}`));
  const keras = JSON.parse(await readFile(join(folder, 'keras-report.json'), 'utf8'));

  const back = await loadModel(join(folder, 'keras.keras'));
  const returned = {
    steps: back.compiled?.optimizer.iterations,
    ...(await lossAndAccuracy(back, x, y, batchSize)),
    testAccuracy: (await lossAndAccuracy(back, testX, testY, 500)).accuracy,
  };
  echo(
    `back in webgrad: optimizer step ${returned.steps}, loss ${returned.loss.toFixed(5)} (Keras's last: ${keras.losses.at(-1).toFixed(5)})`,
  );
  for (const t of [x, y, testX, testY]) t.dispose();
  net.dispose();
  return { digits: n, webgrad, keras, returned, model: back };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await rerunWithStderrPipe();
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '4' },
      'webgrad-epochs': { type: 'string', default: '3' },
      'keras-epochs': { type: 'string', default: '3' },
      size: { type: 'string', default: 'full' },
      out: { type: 'string', default: 'out/scale-out' },
      backend: { type: 'string', default: 'webgpu' },
    },
  });
  await setBackend(values.backend);
  const r = await scaleOut({
    folder: values.out,
    size: values.size,
    devices: Number(values.devices),
    webgradEpochs: Number(values['webgrad-epochs']),
    kerasEpochs: Number(values['keras-epochs']),
  });
  const percent = (acc) => (acc === undefined ? '—' : `${(100 * acc).toFixed(2)}%`);
  const row = (leg, steps, loss, acc) =>
    `${leg.padEnd(34)}${`${steps}`.padStart(6)}${loss.toFixed(5).padStart(10)}${percent(acc).padStart(10)}`;
  console.log(`\n${'leg'.padEnd(34)}${'steps'.padStart(6)}${'loss'.padStart(10)}${'test acc'.padStart(10)}`);
  console.log(row('webgrad (this process)', r.webgrad.steps, r.webgrad.loss, r.webgrad.testAccuracy));
  console.log(
    row(`Keras DataParallel, ${r.keras.devices} devices`, r.keras.steps_after, r.keras.losses.at(-1), undefined),
  );
  console.log(row('back in webgrad', r.returned.steps, r.returned.loss, r.returned.testAccuracy));
  console.log(`\nfiles in ${values.out}: model.keras (webgrad's), keras.keras (Keras's)`);
}
