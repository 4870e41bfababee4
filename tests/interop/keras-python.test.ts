// Keras 3 itself on the other side: the set-up's Python environment (scripts/keras-interop/venv.mjs:
// Keras 3.15.1 on JAX, CPU) loads the .keras files webgrad writes, predicts and trains them; webgrad
// loads the files that Keras writes in this run; a training crosses webgrad → Keras → webgrad and goes
// on as if it had never left; and examples/scale-out continues a webgrad training on 4 simulated
// devices with Keras's data parallelism. tests/layers/keras-format.test.ts checks the same formats
// against committed files without Python; this one checks them against the real reader and writer.
// A missing environment fails (the set-up creates it), never skips.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { tensor, type Tensor } from '@webgrad/core';
import { adam, dense, loadModel, sequential, type Model, type SymbolicTensor } from '@webgrad/layers';
import { scaleOut } from '../../examples/scale-out/scale-out.mjs';
import { writeWebgradModels } from '../../scripts/keras-interop/save-webgrad-models.js';
import { kerasPython, kerasReady } from '../../scripts/keras-interop/venv.mjs';

const run = promisify(execFile);
const script = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
type AnyModel = Model<SymbolicTensor | SymbolicTensor[]>;

async function python(...args: string[]): Promise<string> {
  const { stdout } = await run(kerasPython(), args, {
    maxBuffer: 1 << 24,
    env: { ...process.env, KERAS_BACKEND: 'jax' },
  });
  return stdout;
}

async function outputs(net: AnyModel, x: Tensor): Promise<Float32Array[]> {
  const y = net.predict(x) as Tensor | Tensor[];
  return Promise.all((Array.isArray(y) ? y : [y]).map(async (t) => Float32Array.from(await t.data())));
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).to.equal(b.length);
  return Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
};

describe('Keras 3 on JAX, run for real', function () {
  this.timeout(600_000);
  let dir: string;
  // Keras writing its files runs beside the first test's Python (each is mostly one core of JAX
  // start-up and compiling); the second test waits for it. Settled either way, so a failure is
  // reported by that test, never as an unhandled rejection.
  let kerasWrites: Promise<{ folder: string; error?: unknown }>;

  before(async () => {
    if (!kerasReady()) {
      throw new Error(`no Keras 3 environment at ${kerasPython()}: run \`node scripts/setup.mjs\` (it creates one)`);
    }
    dir = await mkdtemp(join(tmpdir(), 'webgrad-keras-'));
    const folder = join(dir, 'from-keras');
    await mkdir(folder);
    kerasWrites = python(script('tests/fixtures/keras/make_fixtures.py'), folder).then(
      () => ({ folder }),
      (error: unknown) => ({ folder, error }),
    );
  });
  after(async () => {
    await kerasWrites;
    await rm(dir, { recursive: true, force: true });
  });

  it("loads webgrad's .keras files, predicts within 1e-5 and trains them, and resumes webgrad's Adam", async () => {
    const folder = join(dir, 'from-webgrad');
    const names = await writeWebgradModels(folder);
    await python(script('scripts/keras-interop/check_in_keras.py'), folder);
    const report = JSON.parse(await readFile(join(folder, 'report.json'), 'utf8')) as {
      keras: string;
      models: Record<string, { max_diff: number; outputs: number; loss_after_one_epoch: number }>;
    } & Record<string, { iterations: number; max_diff_after_one_more_step: number; max_moment_diff: number }>;
    expect(report.keras).to.match(/^3\./);
    expect(Object.keys(report.models)).to.deep.equal(names.filter((n) => !n.startsWith('resume')));
    for (const [name, figures] of Object.entries(report.models)) {
      expect(figures.max_diff, name).to.be.below(1e-5);
      expect(Number.isFinite(figures.loss_after_one_epoch), name).to.equal(true);
    }
    expect(report.models.functional.outputs).to.equal(2);
    expect(report.models.assorted.outputs).to.equal(2);
    // Adam's step and moments, wrappers included (SpectralNormalization's kernel held once), as Keras loads them
    for (const name of ['resume', 'resume_wrapped', 'resume_spectral']) {
      expect(report[name].iterations, name).to.equal(3);
      expect(report[name].max_moment_diff, name).to.equal(0);
      expect(report[name].max_diff_after_one_more_step, name).to.be.below(1e-5);
    }
  });

  it('webgrad loads the .keras files Keras writes in this run and predicts what Keras predicted', async () => {
    const { folder, error } = await kerasWrites;
    if (error) throw error;
    const expected = JSON.parse(await readFile(join(folder, 'expected.json'), 'utf8')) as {
      models: Record<string, { x: unknown[]; dtype: string; outputs: unknown[][] }>;
    };
    const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
    const shapeOf = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);
    for (const [name, c] of Object.entries(expected.models)) {
      const net = (await loadModel(join(folder, `${name}.keras`))) as AnyModel;
      const x = tensor(flat(c.x), shapeOf(c.x), c.dtype === 'int32' ? 'int32' : 'float32');
      const got = await outputs(net, x);
      expect(got.length, name).to.equal(c.outputs.length);
      got.forEach((out, i) => expect(maxDiff(out, flat(c.outputs[i])), `${name} output ${i}`).to.be.below(1e-5));
      net.dispose();
    }
  });

  it("a training that goes webgrad → Keras (2 epochs) → webgrad lands where webgrad's own 5 steps land", async () => {
    const x = tensor(
      Array.from({ length: 15 }, (_, i) => Math.sin(0.7 * i)),
      [5, 3],
    );
    const y = tensor(
      Array.from({ length: 10 }, (_, i) => Math.cos(0.4 * i)),
      [5, 2],
    );
    const make = () => {
      const net = sequential([dense({ units: 4, activation: 'tanh', inputShape: [3] }), dense({ units: 2 })], {
        seed: 3,
      });
      net.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      return net;
    };
    const original = make();
    for (let step = 0; step < 3; step++) await original.trainOnBatch(x, y);
    await original.save(join(dir, 'three-steps.keras'), { includeOptimizer: true });
    const data = { x: Array.from(await x.data()), y: Array.from(await y.data()) };
    const nested = (values: number[], width: number) =>
      Array.from({ length: values.length / width }, (_, r) => values.slice(r * width, (r + 1) * width));
    await writeFile(join(dir, 'batch.json'), JSON.stringify({ x: nested(data.x, 3), y: nested(data.y, 2) }));
    await python(
      script('scripts/keras-interop/continue_in_keras.py'),
      join(dir, 'three-steps.keras'),
      join(dir, 'five-steps.keras'),
      join(dir, 'batch.json'),
      '2',
    );
    const travelled = (await loadModel(join(dir, 'five-steps.keras'))) as AnyModel;
    expect(travelled.compiled?.optimizer.iterations).to.equal(5);
    // the same two steps taken at home, then one more step on each side: the moments must have travelled
    for (let step = 0; step < 2; step++) await original.trainOnBatch(x, y);
    await original.trainOnBatch(x, y);
    await travelled.trainOnBatch(x, y);
    const [home] = await outputs(original as unknown as AnyModel, x);
    const [away] = await outputs(travelled, x);
    expect(maxDiff(away, home)).to.be.below(1e-5);
    const weights = await Promise.all(original.weights.map((w) => w.data()));
    const travelledWeights = await Promise.all(travelled.weights.map((w) => w.data()));
    weights.forEach((w, i) => expect(maxDiff(travelledWeights[i], w), original.weights[i].name).to.be.below(1e-5));
  });

  it('scale-out: Keras data parallelism on 4 simulated devices trains on where webgrad stopped; webgrad takes it back', async () => {
    const lines: string[] = [];
    const r = await scaleOut({
      folder: join(dir, 'scale-out'),
      size: 'tiny',
      devices: 4,
      webgradEpochs: 1,
      kerasEpochs: 2,
      verbose: 0,
      echo: (line) => lines.push(line),
    });
    expect(r.keras.devices).to.equal(4);
    expect(lines.join('\n')).to.match(/4 devices \['cpu:0', 'cpu:1', 'cpu:2', 'cpu:3'\]/);
    expect(r.keras.steps_before).to.equal(r.webgrad.steps);
    expect(Math.abs(r.keras.loss_before - r.webgrad.loss) / r.webgrad.loss).to.be.below(1e-5);
    expect(r.keras.losses[0]).to.be.below(r.webgrad.loss);
    expect(r.keras.losses[1]).to.be.below(r.keras.losses[0]);
    expect(r.returned.steps).to.equal(r.keras.steps_after);
    expect(r.keras.steps_after).to.equal(r.webgrad.steps + (2 * r.digits) / 128);
    expect(Math.abs(r.returned.loss - r.keras.losses[1]) / r.keras.losses[1]).to.be.below(1e-5);
    r.model.dispose();
  });
});
