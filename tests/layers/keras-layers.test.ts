// The layers TF.js's form lacks but Keras 3 has, in .keras files without Python (keras-layers.ts):
// SpectralNormalization saved and loaded in both layouts (the failing example), the configs
// and H5 paths Keras 3.15.1 writes for the wrappers (measured with Keras in the set-up's venv: the
// fixtures in tests/fixtures/keras hold them), a webgrad option Keras lacks kept under its 'webgrad>'
// name and refused by `strict`, and hostile wrappers refused by name. tests/interop/keras-python.test.ts
// runs the same layers through Keras itself.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { tensor, type Tensor } from '@webgrad/core';
import {
  conv2dTranspose,
  dense,
  kerasBytes,
  leakyReLU,
  loadModel,
  maxout,
  modelArtifacts,
  sequential,
  spectralNormalization,
  timeDistributed,
  toKerasBytes,
} from '@webgrad/layers';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'keras');

type Layer = { class_name: string; registered_name?: string | null; config: Record<string, unknown> };
const configOf = (bytes: Uint8Array) =>
  JSON.parse(new TextDecoder().decode(unzipSync(bytes)['config.json'])) as { config: { layers: Layer[] } };

async function values(weights: readonly { data: () => Promise<ArrayLike<number>> }[]): Promise<number[][]> {
  return Promise.all(weights.map(async (w) => Array.from(await w.data())));
}

describe('Keras 3 classes beyond TF.js: the wrappers, Conv2DTranspose and the rest', function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webgrad-keras-layers-'));
  });

  const critic = () =>
    sequential([
      spectralNormalization({ layer: dense({ units: 3, name: 'inner' }), inputShape: [4], name: 'sn' }),
      dense({ units: 1 }),
    ]);
  const x = tensor(
    Array.from({ length: 8 }, (_, i) => Math.sin(i)),
    [2, 4],
  );

  it('SpectralNormalization in the TF.js layout: webgrad>SpectralNormalization, camelCase powerIterations, read back exactly', async () => {
    const net = critic();
    net.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    // a training call moves u and the kernel off their initial values
    await net.trainOnBatch(x, tensor([0.5, -0.5], [2, 1]));
    const path = join(dir, 'critic-tfjs');
    await net.save(path);
    const json = JSON.parse(await readFile(join(path, 'model.json'), 'utf8')) as {
      modelTopology: { config: { layers: Layer[] } };
    };
    const [wrapper] = json.modelTopology.config.layers;
    expect(wrapper.class_name).to.equal('webgrad>SpectralNormalization');
    expect(wrapper.config.powerIterations).to.equal(1);
    expect(wrapper.config).to.not.have.property('power_iterations');
    const loaded = await loadModel(path);
    expect(loaded.weights.map((w) => w.name)).to.deep.equal(net.weights.map((w) => w.name));
    expect(loaded.weights.map((w) => w.name)).to.include('sn/vector_u');
    expect(await values(loaded.weights)).to.deep.equal(await values(net.weights));
  });

  it("SpectralNormalization as .keras: Keras 3's class and config, read back exactly (u included)", async () => {
    // this model was refused: "weights dense_1/kernel, dense_1/bias belong to no layer Keras would load them into"
    const net = critic();
    const bytes = await toKerasBytes(await modelArtifacts(net));
    const [, wrapper] = configOf(bytes).config.layers;
    expect(wrapper.class_name).to.equal('SpectralNormalization');
    expect(wrapper.registered_name).to.equal(null);
    expect(wrapper.config.power_iterations).to.equal(1);
    const inner = wrapper.config.layer as Layer;
    expect(inner.class_name).to.equal('Dense');
    expect(inner.config.units).to.equal(3);
    const loaded = await loadModel(kerasBytes(bytes));
    expect(await values(loaded.weights)).to.deep.equal(await values(net.weights));
    const y = await (net.predict(x) as Tensor).data();
    expect(Array.from(await (loaded.predict(x) as Tensor).data())).to.deep.equal(Array.from(y));
  });

  it("writes the fixtures' wrappers at Keras's H5 paths, and LeakyReLU and Conv2DTranspose with Keras's keys", async () => {
    const net = await loadModel(join(FIXTURES, 'tagger.keras'));
    const bytes = await toKerasBytes(await modelArtifacts(net));
    const [, bidirectional] = configOf(bytes).config.layers;
    expect(bidirectional.class_name).to.equal('Bidirectional');
    expect(bidirectional.config.merge_mode).to.equal('concat');
    expect((bidirectional.config.layer as Layer).config.zero_output_for_mask).to.equal(true);
    const generator = sequential([
      conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', inputShape: [2, 2, 1] }),
      leakyReLU({ negativeSlope: 0.2 }),
    ]);
    const [, transposed, leaky] = configOf(await toKerasBytes(await modelArtifacts(generator))).config.layers;
    expect(leaky.config).to.include({ name: leaky.config.name, negative_slope: 0.2 });
    expect(transposed.config).to.deep.include({
      filters: 2,
      kernel_size: [3, 3],
      strides: [2, 2],
      padding: 'same',
      output_padding: null,
      dilation_rate: [1, 1],
      data_format: 'channels_last',
    });
  });

  it("a webgrad option Keras lacks keeps the 'webgrad>' name (the wrapper too), loads back, and strict names it", async () => {
    const net = sequential([
      conv2dTranspose({ filters: 2, kernelSize: 2, activation: 'leakyRelu', inputShape: [2, 2, 1], name: 'up' }),
      timeDistributed({ layer: maxout({ units: 2, pieces: 2, name: 'pieces' }), name: 'each' }),
    ]);
    const bytes = await toKerasBytes(await modelArtifacts(net));
    const written = configOf(bytes).config.layers.map((l) => l.registered_name);
    expect(written).to.deep.equal([null, 'webgrad>Conv2DTranspose', 'webgrad>TimeDistributed']);
    const loaded = await loadModel(kerasBytes(bytes));
    expect(await values(loaded.weights)).to.deep.equal(await values(net.weights));
    let error: Error | undefined;
    await net.save(join(dir, 'lacking.keras'), { strict: true }).catch((e: Error) => (error = e));
    expect(error?.message).to.equal(
      "saveModel: Keras 3 has no layer class for Conv2DTranspose 'up' (activation 'leakyRelu'), " +
        "TimeDistributed 'each' (Maxout 'pieces' (no Keras 3 class)); save without strict to write " +
        "them under registered 'webgrad>' names (only webgrad reads those back)",
    );
  });

  describe('hostile or foreign options in a Keras file are refused by name', () => {
    const spoiled = async (fixture: string, change: (layers: Layer[]) => void) => {
      const members = unzipSync(new Uint8Array(await readFile(join(FIXTURES, `${fixture}.keras`))));
      const config = JSON.parse(new TextDecoder().decode(members['config.json'])) as { config: { layers: Layer[] } };
      change(config.config.layers);
      const bytes = zipSync({ ...members, 'config.json': strToU8(JSON.stringify(config)) }, { level: 0 });
      let error: Error | undefined;
      await loadModel(kerasBytes(bytes, 'bad.keras')).catch((e: Error) => (error = e));
      return error?.message;
    };

    it('a Bidirectional whose inner layer is not recurrent', async () => {
      const message = await spoiled('tagger', (layers) => {
        layers[1].config.layer = { module: 'keras.layers', class_name: 'Dense', config: { name: 'd', units: 2 } };
      });
      expect(message).to.equal(
        "loadModel: Bidirectional layer 'bidirectional' in bad.keras: it wraps a 'Dense'; " +
          'expected a recurrent layer (SimpleRNN, LSTM, GRU)',
      );
    });

    it('a TimeDistributed whose inner variables are missing from model.weights.h5', async () => {
      const message = await spoiled('tagger', (layers) => {
        // a second TimeDistributed: Keras would look for its kernel at layers/time_distributed_1/layer/vars
        layers.push({ ...layers[3], config: { ...layers[3].config, name: 'again' } });
      });
      expect(message).to.equal(
        "loadModel: bad.keras: model.weights.h5 lacks entry 'layers/time_distributed_1/layer/vars/0' " +
          "(the variables of the layer 'again' wraps)",
      );
    });

    it('a Keras option webgrad lacks, and a fixed option at another value', async () => {
      const padding = await spoiled('generator', (layers) => {
        layers[3].config.output_padding = [1, 1];
      });
      expect(padding).to.equal(
        "loadModel: Conv2DTranspose layer 'conv2d_transpose' in bad.keras sets output_padding to [1,1]; " +
          "webgrad's Conv2DTranspose supports only null",
      );
      const unknown = await spoiled('generator', (layers) => {
        layers[5].config.alpha = 0.1;
      });
      expect(unknown).to.equal(
        "loadModel: LeakyReLU layer 'leaky_re_lu' in bad.keras sets alpha, which webgrad's LeakyReLU does not have",
      );
    });
  });
});
