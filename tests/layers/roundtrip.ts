// A check the layer-family tests share: a functional model fits one step on the GPU (its weights
// move), then saves and loads with bit-identical predictions, so a layer's getConfig and registry
// entry rebuild it exactly.
import { expect } from 'chai';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBackend, type Tensor } from '@webgrad/core';
import { loadModel, sgd, type Model } from '@webgrad/layers';

export interface Case {
  net: Model;
  x: Tensor | Tensor[];
  y: Tensor;
}

/**
 * Makes the model and its data, fits one full-batch step, then save → load → predict must match
 * exactly. The caller's describe block sets WebGPU as the current backend (useBackend), so the model,
 * its data and the loaded model all live there (withBackend would not last across the awaits).
 */
export async function fitsAndRoundTrips(make: () => Case): Promise<void> {
  expect(getBackend(), 'the current backend').to.equal('webgpu');
  const dir = await mkdtemp(join(tmpdir(), 'webgrad-layers-'));
  const { net, x, y } = make();
  net.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
  const before = await Promise.all(net.trainableWeights.map((w) => w.data()));
  const n = (Array.isArray(x) ? x[0] : x).shape[0];
  const history = await net.fit(x, y, { epochs: 1, batchSize: n, verbose: 0 });
  expect(Number.isFinite(history.history.loss[0]), 'a finite loss').to.equal(true);
  const after = await Promise.all(net.trainableWeights.map((w) => w.data()));
  const moved = after.some((w, i) => w.some((v, k) => v !== before[i][k]));
  expect(moved, 'one fit step changes the trainable weights').to.equal(true);
  await net.save(dir);
  const loaded = await loadModel(dir);
  const expected = Array.from(await (net.predict(x) as Tensor).data());
  expect(Array.from(await (loaded.predict(x) as Tensor).data())).to.deep.equal(expected);
  expect(loaded.layers.map((l) => l.className)).to.deep.equal(net.layers.map((l) => l.className));
}
