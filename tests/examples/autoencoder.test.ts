// The autoencoder lab (examples/autoencoder.mjs) on a tiny configuration, on the GPU as the demo
// runs: its functions train a variant for one epoch on a few real digits and score it on held-out
// ones. Checked against independent values: the scores against float64 MSE/BCE of the model's own
// predictions, the trained model against the untrained one on the same digits, the encoder submodel's
// codes against the layers called one by one and against a float64 matmul of the trained weights,
// and the pictures against the digits they were drawn from.
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend, slice, tensor, tidy, withBackend, type Tensor } from '@webgrad/core';
import {
  CODE,
  buildVariant,
  compileAutoencoder,
  encoderOf,
  main,
  noisy,
  reconstructionScores,
  trainAutoencoder,
  writePictures,
} from '../../examples/autoencoder.mjs';
import type { Layer } from '@webgrad/layers';
import { IMAGE_SIZE, mnistSplit } from '../../examples/mnist-data.mjs';
import { expectClose, gpu } from '../helpers.js';

const TRAIN = 512,
  TEST = 128;

interface DecodedPng {
  width: number;
  height: number;
  data: Buffer;
}
const pngjs = createRequire(new URL('../../examples/', import.meta.url).pathname + 'x.mjs')('pngjs') as {
  PNG: { sync: { read(buffer: Buffer): DecodedPng } };
};

/** Per-pixel MSE and BCE (probabilities clipped to [1e-7, 1 − 1e-7], as Keras does) in float64. */
function float64Scores(predicted: ArrayLike<number>, target: ArrayLike<number>) {
  let squared = 0,
    crossEntropy = 0;
  for (let i = 0; i < target.length; i++) {
    const p = Math.min(Math.max(predicted[i], 1e-7), 1 - 1e-7),
      z = target[i];
    squared += (predicted[i] - z) ** 2;
    crossEntropy -= z * Math.log(p) + (1 - z) * Math.log(1 - p);
  }
  return { mse: squared / target.length, bce: crossEntropy / target.length };
}

const read = async (t: Tensor): Promise<Float32Array> => {
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
};

describe('examples/autoencoder: the autoencoder lab on a few digits', function () {
  this.timeout(240_000);
  const { train, test } = mnistSplit({ seed: 1 });
  const run = <T>(fn: () => T): T => withBackend(gpu(), fn);
  let xTrain: Tensor, xTest: Tensor;
  before(() => {
    xTrain = run(() => tensor(train.images.subarray(0, TRAIN * IMAGE_SIZE), [TRAIN, IMAGE_SIZE]));
    xTest = run(() => tensor(test.images.subarray(0, TEST * IMAGE_SIZE), [TEST, IMAGE_SIZE]));
  });
  after(() => [xTrain, xTest].forEach((t) => t.dispose()));

  it('one epoch of the dense 784-128-32-128-784 lowers its held-out MSE and BCE; the scores are those of its predictions', async () => {
    await run(async () => {
      const autoencoder = buildVariant('dense', { seed: 3 });
      compileAutoencoder(autoencoder, { decaySteps: 1 });
      const before = await reconstructionScores(autoencoder, xTest);
      const history = await trainAutoencoder(autoencoder, xTrain, { epochs: 1, batchSize: 32, verbose: 0 });
      expect(history.history.val_loss).to.have.length(1);
      const after = await reconstructionScores(autoencoder, xTest);
      const reference = float64Scores(
        await read(autoencoder.predict(xTest)),
        test.images.subarray(0, TEST * IMAGE_SIZE),
      );
      expectClose([after.mse, after.bce], [reference.mse, reference.bce], { rtol: 1e-4, atol: 1e-6 }, 'scores');
      expect(after.mse).to.be.below(before.mse * 0.8);
      expect(after.bce).to.be.below(before.bce);
      autoencoder.dispose();
    });
  });

  it("the 2-unit encoder, cut at 'code', shares the trained weights and gives exactly the code layer's activations", async () => {
    await run(async () => {
      const autoencoder = buildVariant('code2', { seed: 5 });
      await trainAutoencoder(autoencoder, xTrain, { epochs: 1, batchSize: 32, verbose: 0 });
      const encoder = encoderOf(autoencoder);
      expect(encoder.outputShape).to.deep.equal([2]);
      const shared = new Set(autoencoder.weights);
      expect(encoder.weights.length).to.equal(4);
      expect(encoder.weights.every((w) => shared.has(w))).to.equal(true);
      const codes = await read(encoder.predict(xTest));
      // the same layers called one by one, eagerly, on the real digits
      const hiddenLayer = autoencoder.getLayer('code2_encoder_hidden') as Layer,
        codeLayer = autoencoder.getLayer(CODE) as Layer;
      const layerByLayer = await read(tidy(() => codeLayer.apply(hiddenLayer.apply(xTest) as Tensor) as Tensor));
      expect(Array.from(codes)).to.deep.equal(Array.from(layerByLayer));
      // and a float64 matmul of the trained weights: code = relu(x W1 + b1) W2 + b2
      const [w1, b1, w2, b2] = await Promise.all(encoder.weights.map(async (w) => (await w.data()) as Float32Array));
      const expected = new Float64Array(TEST * 2);
      for (let n = 0; n < TEST; n++) {
        const x = test.images.subarray(n * IMAGE_SIZE, (n + 1) * IMAGE_SIZE);
        for (let j = 0; j < 128; j++) {
          let h = b1[j];
          for (let i = 0; i < IMAGE_SIZE; i++) h += x[i] * w1[i * 128 + j];
          for (let k = 0; k < 2; k++) expected[n * 2 + k] += Math.max(h, 0) * w2[j * 2 + k];
        }
        for (let k = 0; k < 2; k++) expected[n * 2 + k] += b2[k];
      }
      expectClose(codes, expected, { rtol: 1e-4, atol: 1e-4 }, 'codes');
      // the codes spread out: a collapsed code would make the scatter plot one dot
      const spread = Math.max(...codes) - Math.min(...codes);
      expect(spread).to.be.above(0.1);
      autoencoder.dispose();
    });
  });

  it('writes the reconstructions and noisy → denoised PNGs from the digits given, and the 2-D scatter plot', async () => {
    await run(async () => {
      const trained = { dense: buildVariant('dense', { seed: 7 }), code2: buildVariant('code2', { seed: 7 }) };
      const xNoisy = noisy(xTest, 0.4, 11);
      const outDir = mkdtempSync(join(tmpdir(), 'webgrad-autoencoder-'));
      const count = 8;
      const files = await writePictures({
        trained,
        xTest,
        xNoisy,
        labels: test.labels.subarray(0, TEST),
        outDir,
        count,
      });
      expect(files.map((f) => f.slice(outDir.length + 1))).to.deep.equal(['reconstructions.png', 'codes-2d.svg']);
      const png = pngjs.PNG.sync.read(readFileSync(files[0]));
      // 3 rows (originals, dense, code2) of 8 digits, 2×2 pixels each, 4-pixel gaps
      expect([png.width, png.height]).to.deep.equal([8 * 56 + 9 * 4, 3 * 56 + 4 * 4]);
      // the decoder gives RGBA; each original's pixel (row r, column c) of digit k sits at its scaled place
      let mismatches = 0;
      for (let k = 0; k < count; k++) {
        for (let p = 0; p < IMAGE_SIZE; p++) {
          const x = 4 + k * 60 + (p % 28) * 2 + 1,
            y = 4 + Math.floor(p / 28) * 2 + 1;
          const want = Math.round(test.images[k * IMAGE_SIZE + p] * 255);
          if (png.data[(y * png.width + x) * 4] !== want) mismatches++;
        }
      }
      expect(mismatches).to.equal(0);
      const svg = readFileSync(files[1], 'utf8');
      expect(svg.match(/<circle /g)).to.have.length(TEST + 10);
      // the noisy digits are the clean ones plus N(0, 0.4²) noise
      const noise = await read(tidy(() => slice(xNoisy, [0], [TEST, IMAGE_SIZE])));
      let sum = 0,
        squares = 0;
      noise.forEach((v, i) => {
        const d = v - test.images[i];
        sum += d;
        squares += d * d;
      });
      const n = noise.length;
      expect(Math.abs(sum / n)).to.be.below(0.01);
      expect(Math.sqrt(squares / n - (sum / n) ** 2)).to.be.closeTo(0.4, 0.01);
      xNoisy.dispose();
      Object.values(trained).forEach((m) => m.dispose());
    });
  });

  it('the CLI (npm run demo -- --model autoencoder) on 512 digits for one epoch: four variants, their scores and pictures', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'webgrad-autoencoder-cli-'));
    let scores: Awaited<ReturnType<typeof main>>;
    try {
      const tiny = ['--epochs', '1', '--train-digits', '512', '--test-digits', '64', '--batch-size', '16'];
      scores = await main(['--model', 'autoencoder', ...tiny, '--out', outDir]);
    } finally {
      await setBackend('cpu'); // main sets the WebGPU backend; the other suites expect the CPU one by default
    }
    expect(Object.keys(scores)).to.deep.equal(['dense', 'conv', 'denoise', 'code2']);
    const saved = JSON.parse(readFileSync(join(outDir, 'scores.json'), 'utf8')) as { scores: typeof scores };
    expect(saved.scores).to.deep.equal(scores);
    // an untrained sigmoid output is ≈ 0.5 everywhere: its MSE, and BCE ln 2
    const digits = test.images.subarray(0, 64 * IMAGE_SIZE);
    const grey = digits.reduce((sum, v) => sum + (v - 0.5) ** 2, 0) / digits.length;
    console.log(`      MSE of all-0.5 output ${grey.toFixed(4)}; after one epoch: ${JSON.stringify(scores)}`);
    for (const [variant, { mse, bce, epochs }] of Object.entries(scores)) {
      expect(epochs, variant).to.equal(1);
      expect(mse, variant).to.be.below(0.75 * grey);
      expect(bce, variant).to.be.below(0.9 * Math.LN2);
    }
    const reconstructions = pngjs.PNG.sync.read(readFileSync(join(outDir, 'reconstructions.png')));
    const denoising = pngjs.PNG.sync.read(readFileSync(join(outDir, 'denoising.png')));
    // 16 digits a row; originals, dense, conv, code2 / originals, noisy, denoised, dense on noisy
    expect([reconstructions.width, reconstructions.height]).to.deep.equal([16 * 56 + 17 * 4, 4 * 56 + 5 * 4]);
    expect([denoising.width, denoising.height]).to.deep.equal([16 * 56 + 17 * 4, 4 * 56 + 5 * 4]);
    expect(readFileSync(join(outDir, 'codes-2d.svg'), 'utf8').match(/<circle /g)).to.have.length(64 + 10);
  });
});
