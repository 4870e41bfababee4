// Checkpoint integrity and resuming. A weights file is checked against its model.json before any
// model is touched: the manifest's shapes must be sane, the byte count must match, and the FNV-1a
// checksum saved beside it must match (a flipped byte is refused, not loaded as wrong weights).
// loadCheckpoint restores a model and the epochs it had completed, to resume a fit after a crash or
// a lost GPU device; loadWeights fills an existing model, all or nothing. Node built-ins are imported
// only when called. Imports @webgrad/core and this package's io and model modules.
import { tensor, tidy } from '@webgrad/core';
import { loadModel, nodeFs, readModelJson, type ModelJson } from './io.js';
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

/** Reads dir's weights file for `json` and checks its size and checksum; nothing is changed. */
export async function checkWeightsFile(json: ModelJson, dir: string, op: string): Promise<{ specs: WeightSpec[]; stateSpecs: WeightSpec[]; floats: Float32Array }> {
  const { fs, path } = await nodeFs();
  const file = json.weightsManifest?.[0]?.paths?.[0];
  if (typeof file !== 'string') throw new Error(`${op}: model.json in ${dir} names no weights file (weightsManifest[0].paths[0])`);
  const specs = checkSpecs(json.weightsManifest.flatMap((g) => g.weights), 'weightsManifest', op);
  const stateSpecs = checkSpecs(json.optimizerState?.weights ?? [], 'optimizerState', op);
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path.join(dir, file));
  } catch (cause) {
    throw new Error(`${op}: cannot read ${path.join(dir, file)}: ${(cause as Error).message}`, { cause });
  }
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
export async function loadCheckpoint(dir: string): Promise<{ model: Sequential; epoch: number }> {
  const model = await loadModel(dir);
  const { json } = await readModelJson(dir, 'loadCheckpoint');
  return { model, epoch: json.epochsCompleted ?? 0 };
}

/**
 * Sets an existing model's weights from a saved directory. Everything is checked first (file size,
 * checksum, every shape against this model), so on any error the model is left as it was.
 */
export async function loadWeights(model: Sequential, dir: string): Promise<void> {
  const { json, jsonPath } = await readModelJson(dir, 'loadWeights');
  const { specs, floats } = await checkWeightsFile(json, dir, 'loadWeights');
  model.build();
  const weights = model.weights;
  const mismatch = specs.length !== weights.length || specs.some((s, i) => s.shape.join(',') !== weights[i].shape.join(','));
  if (mismatch) {
    throw new Error(`loadWeights: ${jsonPath} holds weights ${specs.map((s) => `[${s.shape}]`).join(' ')} but the model has ` +
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
