// Loading, the top of persistence: a store's artifacts are checked (format.ts) before any model is
// touched, then become a model (loadModel, loadCheckpoint, which also says how many epochs were done
// so a fit can resume after a crash or a lost GPU device) or fill an existing one, all or nothing
// (loadWeights). Any store works: a folder, indexeddb://, http(s)://, browserFiles.
import { Optimizer, tensor, tidy, type OptimizerKind, type Tensor } from '@webgrad/core';
import type { CompileArgs } from './compile.js';
import {
  checkArtifacts,
  checkModelJson,
  checkOptimizerState,
  manifestElements,
  type ModelArtifacts,
  type ModelStore,
  type StoredWeight,
  type WeightSpec,
} from './format.js';
import { withWeightBudget } from './limits.js';
import { Sequential } from './model.js';
import { layerFromConfig } from './registry.js';
import { modelStore } from './storage.js';

/** Reads a store's artifacts; `op` names the caller in errors. */
async function loadArtifacts(
  source: string | ModelStore,
  op: string,
): Promise<{ artifacts: ModelArtifacts; url: string }> {
  const store = modelStore(source, op);
  if (!store.load) throw new Error(`${op}: ${store.url} can only be saved to`);
  return { artifacts: await store.load(op), url: store.url };
}

const shapesText = (shapes: readonly (readonly number[])[]): string => shapes.map((s) => `[${s}]`).join(' ');

const sameShapes = (specs: readonly WeightSpec[], shapes: readonly (readonly number[])[]): boolean =>
  specs.length === shapes.length && specs.every((s, i) => s.shape.join(',') === shapes[i].join(','));

const asTensor = ({ spec, values }: StoredWeight): Tensor => tensor(values, spec.shape);

/**
 * modelFromArtifacts under a weight budget of the values the manifest holds: a layer config asking for
 * more is refused before it allocates, and a load that fails disposes the weights it made.
 */
function budgetedModel(artifacts: ModelArtifacts, where: string, op: string): Sequential {
  const elements = manifestElements(checkModelJson(artifacts.json, where, op));
  try {
    return withWeightBudget(elements, where, op, () => modelFromArtifacts(artifacts, where, op));
  } catch (error) {
    // a factory's own error (an unknown activation, a bad factor) gets the load and the file it came from
    const message = (error as Error).message;
    if (message.startsWith(`${op}: `)) throw error;
    throw new Error(`${op}: ${where} describes a model webgrad cannot build: ${message}`, { cause: error });
  }
}

/** Rebuilds the model artifacts describe; everything is checked before a tensor is made. */
function modelFromArtifacts(artifacts: ModelArtifacts, where: string, op: string): Sequential {
  const { json, weights, optimizerState } = checkArtifacts(artifacts, where, op);
  const { config } = json.modelTopology;
  const layers = config.layers.map((saved) => layerFromConfig(saved.class_name, saved.config, where, op));
  const model = new Sequential(layers, { name: config.name, seed: config.seed });
  model.build();
  const shapes = model.weights.map((w) => w.shape);
  const specs = weights.map((w) => w.spec);
  if (!sameShapes(specs, shapes)) {
    model.dispose();
    const saved = shapesText(specs.map((s) => s.shape));
    throw new Error(
      `${op}: the weights in model.json (${saved}) do not match the layers it describes (${shapesText(shapes)})`,
    );
  }
  tidy(() => model.setWeights(weights.map(asTensor)));
  if (json.trainingConfig) {
    const { loss, metrics, optimizer_config } = json.trainingConfig;
    const optimizer = new Optimizer(optimizer_config.class_name as OptimizerKind, optimizer_config.config);
    model.compile({ loss: loss as CompileArgs['loss'], metrics, optimizer });
    if (json.optimizerState) {
      checkOptimizerState(
        json,
        model.trainableWeights.map((w) => w.shape),
        where,
        op,
      );
      // the state tensors are written in place, so training resumes exactly where it was saved
      optimizer.iterations = json.optimizerState.iterations;
      const states = optimizer.getState(model.trainableWeights).flat();
      tidy(() =>
        states.forEach((state, i) => state.backend.assign(state.info(op), asTensor(optimizerState[i]).info(op))),
      );
    }
  }
  return model;
}

/**
 * Loads a model saved by saveModel: from a folder or its model.json (Node), 'indexeddb://name',
 * an http(s):// URL of a model.json (or its folder), or a ModelStore such as browserFiles(files).
 * The model comes back compiled if it was saved compiled, with its optimizer state if saved.
 */
export async function loadModel(source: string | ModelStore): Promise<Sequential> {
  const { artifacts, url } = await loadArtifacts(source, 'loadModel');
  return budgetedModel(artifacts, url, 'loadModel');
}

/**
 * Loads a modelCheckpoint's directory: the model (compiled, optimizer state restored when saved) and
 * the epochs it had completed; pass `initialEpoch: epoch` to fit to resume where it stopped.
 */
export async function loadCheckpoint(source: string | ModelStore): Promise<{ model: Sequential; epoch: number }> {
  const { artifacts, url } = await loadArtifacts(source, 'loadCheckpoint');
  const model = budgetedModel(artifacts, url, 'loadCheckpoint');
  return { model, epoch: artifacts.json.epochsCompleted ?? 0 };
}

/**
 * Sets an existing model's weights from a saved directory. Everything is checked first (file size,
 * checksum, every shape against this model), so on any error the model is left as it was.
 */
export async function loadWeights(model: Sequential, source: string | ModelStore): Promise<void> {
  const { artifacts, url } = await loadArtifacts(source, 'loadWeights');
  const { weights } = checkArtifacts(artifacts, url, 'loadWeights');
  model.build();
  const shapes = model.weights.map((w) => w.shape);
  const specs = weights.map((w) => w.spec);
  if (!sameShapes(specs, shapes)) {
    const saved = shapesText(specs.map((s) => s.shape));
    throw new Error(
      `loadWeights: ${url} holds weights ${saved} but the model has ${shapesText(shapes)}; the model was left unchanged`,
    );
  }
  tidy(() => model.setWeights(weights.map(asTensor)));
}
