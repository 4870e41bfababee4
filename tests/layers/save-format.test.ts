// Which layout a save writes, and that the older one still loads: folders and ModelStores get TF.js
// Layers' model.json by default (tf.loadLayersModel reads it), `format: 'webgrad'` still writes
// webgrad's own camelCase layout, and a file in that layout committed before the default changed
// (tests/fixtures/webgrad-format: a Dense 3→4 tanh → Dense 4→2 trained two Adam steps, saved with
// includeOptimizer and epochsCompleted 3) loads whole: its predictions against a hand computation
// from its own weights file, its optimizer's step count, its epochs.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { tensor, type Tensor } from '@webgrad/core';
import { loadCheckpoint, loadModel, saveModel, type ModelArtifacts, type ModelStore } from '@webgrad/layers';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'webgrad-format');

interface TfModel {
  predict(x: unknown): { dataSync(): Float32Array };
}
interface Tf {
  setBackend(name: string): Promise<boolean>;
  enableProdMode(): void;
  tensor(values: ArrayLike<number>, shape: number[]): unknown;
  loadLayersModel(handler: unknown): Promise<TfModel>;
  io: { fromMemory(artifacts: object): unknown };
}

/** The fixture's model computed by hand in float64 from its weights file: tanh(x W1 + b1) W2 + b2. */
async function byHand(x: number[][]): Promise<number[]> {
  const bytes = await readFile(join(fixture, 'weights.bin'));
  const f = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const [w1, b1, w2, b2] = [f.subarray(0, 12), f.subarray(12, 16), f.subarray(16, 24), f.subarray(24, 26)];
  return x.flatMap((row) => {
    const h = [0, 1, 2, 3].map((j) => Math.tanh(row.reduce((s, v, i) => s + v * w1[i * 4 + j], b1[j])));
    return [0, 1].map((k) => h.reduce((s, v, j) => s + v * w2[j * 2 + k], b2[k]));
  });
}

function memoryStore(): ModelStore & { artifacts?: ModelArtifacts } {
  const store: ModelStore & { artifacts?: ModelArtifacts } = {
    url: 'memory://save-format',
    save: async (artifacts) => {
      store.artifacts = artifacts;
    },
    load: async () => store.artifacts!,
  };
  return store;
}

const rows = [
  [0.3, -0.7, 0.2],
  [-1.1, 0.4, 0.9],
];

const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>) => {
  expect(actual.length).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `element ${i}: ${actual[i]} vs ${expected[i]}`).to.be.at.most(1e-5);
  }
};

describe('save formats: TF.js Layers by default, the webgrad layout on request and on load', function () {
  it("a file in webgrad's own layout, written before the default changed, loads whole", async () => {
    const json = JSON.parse(await readFile(join(fixture, 'model.json'), 'utf8'));
    expect(json.modelTopology.config.layers[0].config.kernelInitializer, 'the fixture is camelCase').to.equal(
      'glorotUniform',
    );
    const { model: m, epoch } = await loadCheckpoint(fixture);
    expect(epoch).to.equal(3);
    expect(m.compiled?.optimizer.kind).to.equal('adam');
    expect(m.compiled?.optimizer.iterations).to.equal(2);
    const predicted = await (m.predict(tensor(rows.flat(), [2, 3])) as Tensor).data();
    expectClose(predicted, await byHand(rows));
  });

  it('a default save writes TF.js Layers, which TF.js 4.22 loads; the old file migrates by loading and saving', async () => {
    const tf = createRequire(new URL('../../bench/package.json', import.meta.url))('@tensorflow/tfjs') as Tf;
    tf.enableProdMode();
    await tf.setBackend('cpu');
    const m = await loadModel(fixture);
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-save-format-'));
    try {
      await m.save(dir, { includeOptimizer: true });
      const written = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
      expect(written.modelTopology.keras_version).to.equal('tfjs-layers 4.22.0');
      expect(written.modelTopology.config.layers[0].config.kernel_initializer.class_name).to.equal('VarianceScaling');
      expect(written.trainingConfig.optimizer_config.class_name).to.equal('Adam');
      expect(written.weightsManifest[0].paths[0]).to.match(/^group1-shard1of1-[a-z0-9-]+\.bin$/);
      const again = await loadModel(dir);
      expect(again.compiled?.optimizer.iterations).to.equal(2);
      const x = tensor(rows.flat(), [2, 3]);
      expectClose(await (again.predict(x) as Tensor).data(), await byHand(rows));
      const store = memoryStore();
      await m.save(store);
      const { json, weights } = store.artifacts!;
      const tfModel = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0].weights,
          weightData: new Uint8Array(weights).buffer,
        }),
      );
      expectClose(tfModel.predict(tf.tensor(rows.flat(), [2, 3])).dataSync(), await byHand(rows));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a default (TF.js-layout) file truncated or with one byte changed is refused as such', async () => {
    const m = await loadModel(fixture);
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-save-format-'));
    try {
      await m.save(dir, { includeOptimizer: true });
      const file = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths[0];
      const bytes = await readFile(join(dir, file));
      const errorOf = () =>
        loadModel(dir).then(
          () => 'no error',
          (e: Error) => e.message,
        );
      await writeFile(join(dir, file), bytes.subarray(0, bytes.length - 4));
      expect(await errorOf()).to.match(
        /^loadModel: .*group1-shard1of1-\S+\.bin holds \d+ bytes but model\.json describes \d+/,
      );
      const flipped = Buffer.from(bytes);
      flipped[20] ^= 1;
      await writeFile(join(dir, file), flipped);
      expect(await errorOf()).to.match(
        /^loadModel: .*group1-shard1of1-\S+\.bin .*is corrupted: its checksum is [0-9a-f]{8}/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("format 'webgrad' still writes webgrad's own layout, which loads back", async () => {
    const m = await loadModel(fixture);
    const store = memoryStore();
    const json = await saveModel(m, store, { format: 'webgrad', includeOptimizer: true });
    expect(json.modelTopology.config.layers[0].config).to.include({ kernelInitializer: 'glorotUniform', units: 4 });
    expect(json.optimizerState?.kind).to.equal('adam');
    const again = await loadModel(store);
    expectClose(await (again.predict(tensor(rows.flat(), [2, 3])) as Tensor).data(), await byHand(rows));
  });
});
