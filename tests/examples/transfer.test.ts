// The transfer-learning lab (examples/transfer.mjs) on a short run, on the GPU as the demo runs: the
// demo CNN learns the digits 0–4 for one epoch and is saved in TF.js Layers' format; TF.js 4.22 reads
// that file and predicts what webgrad predicts; the file loaded back and cut at the last conv block
// gives the trained CNN's own pool2 activations (its layers called one by one); frozen with a new head
// it learns the digits 5–9 from a few of them, and beats the same network trained from scratch on the
// same digits on held-out ones, its base's weights bit for bit unchanged; unfreezing the top block
// trains that block and nothing below it.
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slice, tidy, type Tensor } from '@webgrad/core';
import { loadModel, type Layer, type Model } from '@webgrad/layers';
import {
  CUT_AT,
  TOP_BLOCK,
  accuracyOn,
  asTensors,
  compileClassifier,
  cutAt,
  digitCnn,
  train,
  transferData,
  unfreezeTopBlock,
  withNewHead,
} from '../../examples/transfer.mjs';
import { IMAGE_SIZE } from '../../examples/mnist-data.mjs';
import { expectClose, useBackend } from '../helpers.js';

/** The slice of TF.js this test calls (loaded untyped from the bench's node_modules). */
interface TfTensor {
  dataSync(): Float32Array;
}
interface Tf {
  enableProdMode(): void;
  setBackend(name: string): Promise<boolean>;
  tensor(values: ArrayLike<number>, shape: number[]): TfTensor;
  loadLayersModel(
    url: string,
    options: { fetchFunc: (url: string) => Promise<Response> },
  ): Promise<{ predict(x: TfTensor): TfTensor }>;
}

const read = async (t: Tensor): Promise<Float32Array> => {
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
};

/** Every weight's bits, to compare exactly. */
const bitsOf = async (m: Model): Promise<Uint32Array[]> =>
  Promise.all(m.weights.map(async (w) => new Uint32Array(((await w.data()) as Float32Array).slice().buffer)));

describe('examples/transfer: the transfer-learning lab on a short run', function () {
  this.timeout(300_000);
  useBackend('webgpu'); // the demo's backend; loads and fits await, so it is set for the whole suite
  const data = transferData({ seed: 1, baseDigits: 1500, targetDigits: 500, validationDigits: 200 });
  const folder = mkdtempSync(join(tmpdir(), 'webgrad-transfer-'));
  let cnn: Model;
  let sets: [Tensor, Tensor][];

  before(async () => {
    sets = [data.base, data.target, data.validation, data.test].map(asTensors);
    cnn = digitCnn({ seed: 1, name: 'cnn_0_4' });
    compileClassifier(cnn, 0.001);
    await cnn.fit(sets[0][0], sets[0][1], { epochs: 1, batchSize: 64, verbose: 0 });
    await cnn.save(folder, { format: 'tfjs' });
  });
  after(async () => {
    cnn.dispose();
    sets.flat().forEach((t) => t.dispose());
    await rm(folder, { recursive: true, force: true });
  });

  it("the 0–4 CNN's TF.js-format file loads in TF.js 4.22, which predicts what webgrad predicts (1e-5)", async () => {
    const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as {
      modelTopology: { keras_version: string; class_name: string };
    };
    expect(json.modelTopology.keras_version).to.equal('tfjs-layers 4.22.0');
    expect(json.modelTopology.class_name).to.equal('Sequential');
    const tf = createRequire(new URL('../../bench/package.json', import.meta.url))('@tensorflow/tfjs') as Tf;
    tf.enableProdMode();
    await tf.setBackend('cpu');
    // TF.js's own http loader, fed the folder's files
    const tfModel = await tf.loadLayersModel('http://model.test/m/model.json', {
      fetchFunc: async (url: string) => {
        const name = decodeURIComponent(new URL(url).pathname.replace(/^\/m\//, ''));
        if (name.includes('/')) return new Response(null, { status: 404 });
        return new Response(await readFile(join(folder, name)));
      },
    });
    const count = 32;
    const digits = data.test.images.subarray(0, count * IMAGE_SIZE);
    const theirs = tfModel.predict(tf.tensor(digits, [count, IMAGE_SIZE])).dataSync();
    const ours = await read(tidy(() => cnn.predict(slice(sets[3][0], [0], [count, IMAGE_SIZE]))));
    expectClose(theirs, ours, { rtol: 1e-5, atol: 1e-5 }, 'TF.js vs webgrad');
  });

  it(`the loaded file cut at '${CUT_AT}' gives the trained CNN's ${CUT_AT} activations (1e-6) and shares the loaded weights`, async () => {
    const loaded = await loadModel(folder);
    const base = cutAt(loaded, CUT_AT);
    expect(base.outputShape).to.deep.equal([5, 5, 64]);
    const shared = new Set(loaded.weights);
    expect(base.weights.map((w) => w.shape)).to.deep.equal([[3, 3, 1, 32], [32], [3, 3, 32, 64], [64]]);
    expect(base.weights.every((w) => shared.has(w))).to.equal(true);
    const count = 200;
    const x = slice(sets[3][0], [0], [count, IMAGE_SIZE]);
    const cut = await read(base.predict(x));
    // the original model's layers called one by one, eagerly, on the same digits
    const names = ['image', 'conv1', 'pool1', 'conv2', CUT_AT];
    const layerByLayer = await read(
      tidy(() => names.reduce((t, name) => (cnn.getLayer(name) as Layer).apply(t) as Tensor, x)),
    );
    x.dispose();
    expect(cut.length).to.equal(count * 5 * 5 * 64);
    expectClose(cut, layerByLayer, { rtol: 0, atol: 1e-6 }, `${CUT_AT} activations`);
    const spread = Math.max(...cut.subarray(0, 10_000));
    expect(spread).to.be.above(0.1); // not a dead feature map
    loaded.dispose();
  });

  const frozenTitle =
    'the frozen 0–4 base + new head beats the same frozen network with random weights on held-out 5–9 digits, ' +
    'its base bit-identical after; unfreezing then trains the top block only';
  it(frozenTitle, async () => {
    const [, target, validation, test] = sets;
    const fineTune = { validation, epochs: 2, batchSize: 32, patience: 2, verbose: 0 as const };
    const accuracyAfterTraining = async (classifier: Model) => {
      compileClassifier(classifier, 0.001);
      await train(classifier, target, fineTune);
      const accuracy = await accuracyOn(classifier, test);
      classifier.dispose();
      return accuracy;
    };
    const freshCut = (name: string) => cutAt(digitCnn({ seed: 2, name }), CUT_AT);
    const scratchAccuracy = await accuracyAfterTraining(
      withNewHead(freshCut('scratch'), { frozen: false, seed: 2, name: 'from_scratch' }),
    );
    const randomAccuracy = await accuracyAfterTraining(
      withNewHead(freshCut('random'), { frozen: true, seed: 2, name: 'random_base' }),
    );

    const loaded = await loadModel(folder);
    const base = cutAt(loaded, CUT_AT);
    const transfer = withNewHead(base, { frozen: true, seed: 2 });
    expect(transfer.trainableWeights).to.have.length(4); // the head's two dense layers
    compileClassifier(transfer, 0.001);
    const before = await bitsOf(base);
    const headKernel = transfer.getLayer('new_dense').weights[0];
    const headBefore = ((await headKernel.data()) as Float32Array).slice();
    await train(transfer, target, fineTune);
    const frozenAccuracy = await accuracyOn(transfer, test);
    const after = await bitsOf(base);
    after.forEach((bits, i) => expect(bits, base.weights[i].name).to.deep.equal(before[i]));
    const headAfter = (await headKernel.data()) as Float32Array;
    expect(headAfter).to.not.deep.equal(headBefore);
    const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;
    console.log(
      `      held-out 5–9 accuracy after 2 epochs on ${data.target.n} digits: from scratch ${percent(scratchAccuracy)}, ` +
        `frozen random base ${percent(randomAccuracy)}, frozen 0–4 base ${percent(frozenAccuracy)}`,
    );
    expect(frozenAccuracy).to.be.above(randomAccuracy + 0.01);

    unfreezeTopBlock(base);
    expect(transfer.trainableWeights.map((w) => w.shape)).to.deep.equal([
      [3, 3, 32, 64],
      [64],
      [1600, 128],
      [128],
      [128, 5],
      [5],
    ]);
    compileClassifier(transfer, 0.0001);
    await train(transfer, target, { ...fineTune, epochs: 1 });
    const unfrozen = await bitsOf(base);
    expect(unfrozen[0]).to.deep.equal(before[0]); // conv1 still frozen
    expect(unfrozen[1]).to.deep.equal(before[1]);
    expect(unfrozen[2]).to.not.deep.equal(before[2]); // conv2 trained
    expect(TOP_BLOCK).to.deep.equal(['conv2']);
    transfer.dispose();
    loaded.dispose();
  });
});
