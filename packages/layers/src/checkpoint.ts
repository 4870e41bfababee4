// Checkpoint integrity and resuming. Loaded weights are checked against their model.json before any
// model is touched: the manifest's shapes must be sane, the byte count must match, and the FNV-1a
// checksum saved beside it must match (a flipped byte is refused, not loaded as wrong weights).
// loadCheckpoint restores a model and the epochs it had completed, to resume a fit after a crash or
// a lost GPU device; loadWeights fills an existing model, all or nothing. Any store works (a folder,
// indexeddb://, http(s)://). Imports @webgrad/core and this package's io, storage and model modules.
import { tensor, tidy } from '@webgrad/core';
import { loadArtifacts, modelFromArtifacts } from './io.js';
import { modelStore, weightsFileOf, type ModelArtifacts, type ModelStore } from './storage.js';
import type { Sequential } from './model.js';

interface WeightSpec { name: string; shape: number[]; dtype: 'float32' }

/** FNV-1a (32-bit) of the bytes, as 8 hex digits: cheap, and any single changed byte changes it. */
export function fnv1a(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

function checkSpecs(specs: unknown, where: string, op: string): WeightSpec[] {
  if (!Array.isArray(specs)) throw new Error(`${op}: ${where} is not a list of weights; model.json is malformed`);
  for (const s of specs as WeightSpec[]) {
    if (!s || !Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${op}: weight '${s?.name}' in ${where} has shape ${JSON.stringify(s?.shape)}; expected a list of non-negative integers`);
    }
    if (s.dtype !== 'float32') throw new Error(`${op}: weight '${s.name}' in ${where} has dtype '${s.dtype}'; expected 'float32'`);
  }
  return specs as WeightSpec[];
}

/** Checks loaded artifacts: sane shapes, the byte count model.json describes, and its checksum. */
export function checkArtifacts({ json, weights: bytes }: ModelArtifacts, where: string, op: string): { specs: WeightSpec[]; stateSpecs: WeightSpec[]; floats: Float32Array } {
  if (json?.format !== 'layers-model' || json.modelTopology?.class_name !== 'Sequential') {
    throw new Error(`${op}: ${where} is not a Sequential layers-model (format '${json?.format}', class '${json?.modelTopology?.class_name}')`);
  }
  const file = weightsFileOf(json, where, op);
  const specs = checkSpecs(json.weightsManifest.flatMap((g) => g.weights), 'weightsManifest', op);
  const stateSpecs = checkSpecs(json.optimizerState?.weights ?? [], 'optimizerState', op);
  const expected = [...specs, ...stateSpecs].reduce((n, w) => n + 4 * w.shape.reduce((a, d) => a * d, 1), 0);
  if (bytes.byteLength !== expected) {
    throw new Error(`${op}: ${file} holds ${bytes.byteLength} bytes but model.json describes ${expected}; the file is truncated or does not belong to this model`);
  }
  if (json.weightsChecksum !== undefined && fnv1a(bytes) !== json.weightsChecksum) {
    throw new Error(`${op}: ${file} is corrupted: its checksum is ${fnv1a(bytes)} but model.json recorded ${json.weightsChecksum}`);
  }
  return { specs, stateSpecs, floats: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}

/**
 * Loads a modelCheckpoint's directory: the model (compiled, optimizer state restored when saved) and
 * the epochs it had completed; pass `initialEpoch: epoch` to fit to resume where it stopped.
 */
export async function loadCheckpoint(source: string | ModelStore): Promise<{ model: Sequential; epoch: number }> {
  const store = modelStore(source, 'loadCheckpoint');
  const artifacts = await loadArtifacts(store, 'loadCheckpoint');
  return { model: modelFromArtifacts(artifacts, store.url, 'loadCheckpoint'), epoch: artifacts.json.epochsCompleted ?? 0 };
}

/**
 * Sets an existing model's weights from a saved directory. Everything is checked first (file size,
 * checksum, every shape against this model), so on any error the model is left as it was.
 */
export async function loadWeights(model: Sequential, source: string | ModelStore): Promise<void> {
  const store = modelStore(source, 'loadWeights');
  const { specs, floats } = checkArtifacts(await loadArtifacts(store, 'loadWeights'), store.url, 'loadWeights');
  model.build();
  const weights = model.weights;
  const mismatch = specs.length !== weights.length || specs.some((s, i) => s.shape.join(',') !== weights[i].shape.join(','));
  if (mismatch) {
    throw new Error(`loadWeights: ${store.url} holds weights ${specs.map((s) => `[${s.shape}]`).join(' ')} but the model has ` +
      `${weights.map((w) => `[${w.shape}]`).join(' ')}; the model was left unchanged`);
  }
  let at = 0;
  tidy(() => model.setWeights(specs.map((s) => {
    const n = s.shape.reduce((a, d) => a * d, 1);
    const t = tensor(floats.subarray(at, at + n), s.shape);
    at += n;
    return t;
  })));
}
