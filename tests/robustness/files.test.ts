// Files: a truncated or corrupted weights file, a model.json whose shapes do not match its weights,
// a malformed manifest — each refused with a clear error, leaving the model untouched; and a save
// killed (SIGKILL) at random moments never destroys the previous checkpoint. Runs on the CPU backend:
// the file handling is the same on every backend.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tidy } from '@webgrad/core';
import { dense, loadModel, loadWeights, saveModel, sequential, type Sequential } from '@webgrad/layers';

const model = (seed: number) =>
  sequential([dense({ units: 4, activation: 'relu', inputShape: [3] }), dense({ units: 2 })], { seed });
const valuesOf = async (m: Sequential) => Promise.all(m.weights.map(async (w) => Array.from(await w.data())));
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: Error) => e.message,
  );
/** The weights file the model.json in dir names (saves give each its own name). */
const weightsIn = async (dir: string) =>
  join(dir, JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths[0] as string);

describe('files: damaged checkpoints are refused, the model is left untouched', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webgrad-files-'));
    await saveModel(model(1), dir);
  });

  /** loadModel and loadWeights both refuse dir with `expected`, and the target model keeps its weights. */
  async function refused(expected: RegExp) {
    expect(await errorOf(loadModel(dir))).to.match(expected);
    const target = model(2);
    target.build();
    const before = await valuesOf(target);
    expect(await errorOf(loadWeights(target, dir))).to.match(
      new RegExp(expected.source.replace('loadModel', 'loadWeights')),
    );
    expect(await valuesOf(target), 'the model is untouched').to.deep.equal(before);
  }

  it('a good checkpoint loads into an existing model exactly', async () => {
    const target = model(2);
    await loadWeights(target, dir);
    expect(await valuesOf(target)).to.deep.equal(await valuesOf(await loadModel(dir)));
    const saved = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(saved.weightsChecksum).to.match(/^[0-9a-f]{8}$/);
  });

  it('a truncated weights file', async () => {
    const file = await weightsIn(dir);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 12));
    await refused(/loadModel: \S*weights-\S+\.bin holds \d+ bytes but model.json describes \d+; the file is truncated/);
  });

  it('a corrupted weights file (one byte changed)', async () => {
    const file = await weightsIn(dir);
    const bytes = await readFile(file);
    bytes[17] ^= 0x40;
    await writeFile(file, bytes);
    await refused(
      /loadModel: weights-\S+\.bin is corrupted: its checksum is [0-9a-f]{8} but model.json recorded [0-9a-f]{8}/,
    );
  });

  it('model.json shapes that do not match its weights or its layers', async () => {
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].weights[0].shape = [3, 5]; // 15 floats where 12 were saved
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await refused(/loadModel: \S*weights-\S+\.bin holds \d+ bytes but model.json describes \d+/);
    json.weightsManifest[0].weights[0].shape = [4, 3]; // the same size, the wrong shape for Dense(3 → 4)
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect(await errorOf(loadModel(dir))).to.match(
      /loadModel: the weights in model.json \(\[4,3\] \[4\] \[4,2\] \[2\]\) do not match the layers it describes \(\[3,4\]/,
    );
    const target = model(2);
    target.build();
    const before = await valuesOf(target);
    expect(await errorOf(loadWeights(target, dir))).to.match(
      /loadWeights: .* holds weights \[4,3\] .* but the model has \[3,4\] .*; the model was left unchanged/,
    );
    expect(await valuesOf(target)).to.deep.equal(before);
  });

  it('a malformed manifest or model.json', async () => {
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        ...json,
        weightsManifest: [
          { paths: json.weightsManifest[0].paths, weights: [{ name: 'k', shape: [-1, 3], dtype: 'float32' }] },
        ],
      }),
    );
    await refused(
      /loadModel: weight 'k' in weightsManifest\[0\]\.weights has shape \[-1,3\]; expected a list of non-negative integers/,
    );
    await writeFile(join(dir, 'model.json'), JSON.stringify({ ...json, weightsManifest: [] }));
    await refused(/loadModel: \S*model\.json names no weights file/);
    await writeFile(join(dir, 'model.json'), JSON.stringify(json).slice(0, 100));
    await refused(/loadModel: cannot read .*model.json: .*JSON/);
  });
});

describe('files: a save killed mid-way never destroys the previous checkpoint', () => {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'save-loop.mjs');
  const crashPoints = ['weights-write', 'weights-rename', 'json-write', 'json-rename', 'none'] as const;

  it('a process killed (SIGKILL) at each point of a save leaves a checkpoint that loads whole', async function () {
    this.timeout(120_000);
    const outcomes: string[] = [];
    for (const point of crashPoints) {
      const dir = await mkdtemp(join(tmpdir(), 'webgrad-crash-'));
      const proc = spawn(process.execPath, [child, dir, point], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      proc.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const signal = await new Promise((resolve) => proc.once('exit', (_code, sig) => resolve(sig)));
      expect(signal, point).to.equal(point === 'none' ? null : 'SIGKILL');
      const loaded = await loadModel(dir);
      const values = (await valuesOf(loaded)).flat();
      const version = values[0];
      expect(
        values.every((v) => v === version),
        `${point}: weights from two saves mixed`,
      ).to.equal(true);
      // until model.json is renamed into place the previous save stands; after it, the new one
      expect(version, point).to.equal(point === 'none' ? 2 : 1);
      if (point === 'none') expect(output).to.equal('saved 2\n');
      const files = (await readdir(dir)).sort();
      outcomes.push(
        `${point}: version ${version} loads (files: ${files.map((f) => f.replace(/\.tmp-.*/, '.tmp-…')).join(', ')})`,
      );
      tidy(() => loaded.dispose());
      // and the next save over the debris works
      const next = model(3);
      await saveModel(next, dir);
      expect(await valuesOf(await loadModel(dir))).to.deep.equal(await valuesOf(next));
      expect(
        (await readdir(dir)).sort(),
        'the debris is cleared: model.json and the one weights file it names',
      ).to.deep.equal(['model.json', (await weightsIn(dir)).split('/').pop()]);
    }
    console.log(outcomes.map((o) => `      ${o}`).join('\n'));
  });
});
