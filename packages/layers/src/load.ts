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
  type SavedLayer,
  type SavedModelTopology,
  type SavedTensorRef,
  type StoredWeight,
  type WeightSpec,
} from './format.js';
import type { AnyLayer, Layer, SymbolicTensor } from './layer.js';
import { readKerasFile } from './keras-format.js';
import { withWeightBudget } from './limits.js';
import { Model, type AnyModel } from './model.js';
import { Sequential } from './sequential.js';
import { applyLayer, input } from './symbolic.js';
import { layerFromConfig } from './registry.js';
import { modelStore } from './storage.js';
import { fromTfjsArtifacts, isTfjsModelJson } from './tfjs-format.js';

/** Reads a store's artifacts; `op` names the caller in errors. */
async function loadArtifacts(
  source: string | ModelStore,
  op: string,
): Promise<{ artifacts: ModelArtifacts; url: string }> {
  // a Keras 3 .keras file is one zip, mapped to webgrad's artifacts as it is read
  if (typeof source === 'string' && /\.keras$/i.test(source)) {
    return { artifacts: await readKerasFile(source, op), url: source };
  }
  const store = modelStore(source, op);
  if (!store.load) throw new Error(`${op}: ${store.url} can only be saved to`);
  const artifacts = await store.load(op);
  // a TF.js Layers model.json is mapped to webgrad's before any check
  if (isTfjsModelJson(artifacts?.json)) {
    return { artifacts: fromTfjsArtifacts(artifacts, store.url, op), url: store.url };
  }
  return { artifacts, url: store.url };
}

const shapesText = (shapes: readonly (readonly number[])[]): string => shapes.map((s) => `[${s}]`).join(' ');

const sameShapes = (specs: readonly WeightSpec[], shapes: readonly (readonly number[])[]): boolean =>
  specs.length === shapes.length && specs.every((s, i) => s.shape.join(',') === shapes[i].join(','));

const asTensor = ({ spec, values }: StoredWeight): Tensor => tensor(values, spec.shape);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A saved layer, or a nested model, rebuilt from its class name and config. */
function layerFromSaved(saved: SavedLayer, where: string, op: string): AnyLayer {
  if (!isRecord(saved) || typeof saved.class_name !== 'string' || !isRecord(saved.config)) {
    throw new Error(`${op}: a layer in ${where} is not {class_name, config}: ${JSON.stringify(saved)?.slice(0, 200)}`);
  }
  const layer =
    saved.class_name === 'Model' || saved.class_name === 'Sequential'
      ? modelFromTopology(
          { class_name: saved.class_name, config: saved.config as SavedModelTopology['config'] },
          where,
          op,
        )
      : layerFromConfig(saved.class_name, saved.config, where, op);
  if (saved.config.trainable === false) layer.trainable = false;
  return layer;
}

const checkRef = (ref: unknown, where: string, op: string): SavedTensorRef => {
  const ok = Array.isArray(ref) && typeof ref[0] === 'string' && Number.isInteger(ref[1]) && Number.isInteger(ref[2]);
  if (!ok) throw new Error(`${op}: ${where} has a malformed tensor reference ${JSON.stringify(ref)?.slice(0, 200)}`);
  return ref as SavedTensorRef;
};

/**
 * A graph model from its saved layers: input layers become input()s, then each layer is applied to
 * the tensors its inbound nodes name, as soon as they exist. A node whose inputs never appear (a
 * reference to a missing layer, or a cycle) is refused by name.
 */
function graphModelFrom(config: SavedModelTopology['config'], where: string, op: string): AnyModel {
  const tensors = new Map<string, SymbolicTensor>();
  const key = (name: string, node: number, index: number) => `${name}/${node}/${index}`;
  const pending: { layer: AnyLayer; node: number; refs: SavedTensorRef[] }[] = [];
  for (const saved of config.layers) {
    if (saved?.class_name === 'InputLayer') {
      const c = saved.config;
      const shape = c.batchInputShape ?? c.batch_input_shape;
      if (!Array.isArray(shape)) throw new Error(`${op}: input layer '${c.name}' in ${where} has no batchInputShape`);
      // a first axis that is not null: an input passed whole (input({batchShape}), a graph's edge index)
      const t = input({
        ...(shape[0] === null ? { shape: shape.slice(1) as number[] } : { batchShape: shape as (number | null)[] }),
        name: String(c.name ?? saved.name),
        dtype: c.dtype as 'float32' | 'int32' | undefined,
      });
      tensors.set(key(t.node.layer.name, 0, 0), t);
      continue;
    }
    const layer = layerFromSaved(saved, where, op);
    const nodes = Array.isArray(saved.inbound_nodes) ? saved.inbound_nodes : [];
    nodes.forEach((refs, node) => {
      if (!Array.isArray(refs)) throw new Error(`${op}: layer '${layer.name}' in ${where} has malformed inbound_nodes`);
      pending.push({ layer, node, refs: refs.map((r) => checkRef(r, where, op)) });
    });
  }
  // apply each call once all its inputs exist; a pass that applies nothing means a cycle or a missing layer
  while (pending.length) {
    const ready = pending.findIndex(({ refs }) => refs.every(([n, i, t]) => tensors.has(key(n, i, t))));
    if (ready < 0) {
      const stuck = pending.map(
        ({ layer, refs }) => `${layer.name} <- ${refs.map(([n, i, t]) => `${n}[${i}][${t}]`).join(', ')}`,
      );
      throw new Error(`${op}: the graph in ${where} has a cycle or names a missing layer: ${stuck.join('; ')}`);
    }
    const [{ layer, node, refs }] = pending.splice(ready, 1);
    const inputs = refs.map(([n, i, t]) => tensors.get(key(n, i, t))!);
    // a one-tensor layer takes a list only with initial states ([x, ...states], a recurrent layer)
    const list =
      layer.signature === 'one-to-one'
        ? inputs.length > 1
        : !(layer instanceof Model && inputs.length === 1 && layer.inputs.length === 1);
    const out = applyLayer(layer, list ? inputs : inputs[0]);
    (Array.isArray(out) ? out : [out]).forEach((t, index) =>
      tensors.set(key(layer.name, node, index), t as SymbolicTensor),
    );
  }
  const find = (ref: SavedTensorRef) => {
    const t = tensors.get(key(...ref));
    if (!t) {
      throw new Error(
        `${op}: ${where} names ${ref[0]}[${ref[1]}][${ref[2]}] as an input or output, which no layer makes`,
      );
    }
    return t;
  };
  const inputs = (config.input_layers ?? []).map((r) => find(checkRef(r, where, op)));
  const outputs = (config.output_layers ?? []).map((r) => find(checkRef(r, where, op)));
  const outputsAsList = config.outputs_as_list === true;
  return new Model<SymbolicTensor | SymbolicTensor[]>({
    inputs,
    outputs: outputsAsList ? outputs : outputs[0],
    name: config.name,
    seed: config.seed,
  });
}

/** The model a saved topology describes: a Sequential stack or a graph model. */
function modelFromTopology(topology: SavedModelTopology, where: string, op: string): AnyModel {
  const { class_name, config } = topology;
  if (!isRecord(config) || !Array.isArray(config.layers)) {
    throw new Error(`${op}: the ${class_name} in ${where} has no list of layers`);
  }
  if (class_name === 'Model') return graphModelFrom(config, where, op);
  const layers = config.layers.map((saved) => layerFromSaved(saved, where, op));
  const stack = layers.map((l) => {
    if (l.signature === 'many-to-one') {
      throw new Error(`${op}: ${where}: a Sequential cannot hold ${l.className} layer '${l.name}'`);
    }
    return l as Layer | Model;
  });
  const sequential = new Sequential(stack, { name: config.name, seed: config.seed });
  sequential.build();
  return sequential;
}

/**
 * modelFromArtifacts under a weight budget of the values the manifest holds: a layer config asking for
 * more is refused before it allocates, and a load that fails disposes the weights it made.
 */
function budgetedModel(artifacts: ModelArtifacts, where: string, op: string): AnyModel {
  const elements = manifestElements(checkModelJson(artifacts.json, where, op));
  try {
    return withWeightBudget(elements, where, op, () => modelFromArtifacts(artifacts, where, op));
  } catch (error) {
    // the load's own refusal (the weight budget's) stands as it is, even when a model wrapped it on its way
    let root = error as Error;
    while (root.cause instanceof Error) root = root.cause;
    if (root.message.startsWith(`${op}: `)) throw root;
    // a factory's own error (an unknown activation, a bad factor) gets the load and the file it came from
    const message = (error as Error).message;
    if (message.startsWith(`${op}: `)) throw error;
    throw new Error(`${op}: ${where} describes a model webgrad cannot build: ${message}`, { cause: error });
  }
}

/**
 * The stored weights in the order of the model's layers, when each is named after a layer of the model
 * (`layer/...`): a file written in another graph order (Keras's and TF.js's go by depth) then fills each
 * layer with its own weights. Otherwise, or when already in order, they are kept as they are.
 */
function inLayerOrder(model: AnyModel, weights: StoredWeight[]): number[] {
  const rank = new Map(model.layers.map((l, i) => [l.name, i]));
  const ranks = weights.map((w) => rank.get(w.spec.name.split('/')[0]));
  const kept = weights.map((_, i) => i);
  if (ranks.some((r) => r === undefined)) return kept;
  return kept.sort((a, b) => ranks[a]! - ranks[b]! || a - b);
}

/**
 * The model's trainable weights (positions in model.weights) in the model's order and in the file's
 * (the order its optimizer slots follow), after inLayerOrder moved the weights by `order`.
 */
function trainableOrders(model: AnyModel, order: number[]): { own: number[]; inFile: number[] } {
  const trainable = new Set(model.trainableWeights);
  const own = model.weights.map((w, i) => (trainable.has(w) ? i : -1)).filter((i) => i >= 0);
  return { own, inFile: [...own].sort((a, b) => order[a] - order[b]) };
}

/** The optimizer's slots, saved in the file's order of the trainable weights, in the model's order. */
function stateInLayerOrder(orders: { own: number[]; inFile: number[] }, state: StoredWeight[]): StoredWeight[] {
  const per = orders.own.length ? state.length / orders.own.length : 0;
  const rankInFile = new Map(orders.inFile.map((position, k) => [position, k]));
  return orders.own.flatMap((position) => {
    const k = rankInFile.get(position)!;
    return state.slice(k * per, (k + 1) * per);
  });
}

/** Rebuilds the model artifacts describe; everything is checked before a tensor is made. */
function modelFromArtifacts(artifacts: ModelArtifacts, where: string, op: string): AnyModel {
  const checked = checkArtifacts(artifacts, where, op);
  const { json, optimizerState } = checked;
  let { weights } = checked;
  const model = modelFromTopology(json.modelTopology, where, op);
  const shapes = model.weights.map((w) => w.shape);
  const order = inLayerOrder(model, weights);
  weights = order.map((i) => weights[i]);
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
    const { loss, metrics, optimizer_config, loss_weights } = json.trainingConfig;
    const optimizer = new Optimizer(optimizer_config.class_name as OptimizerKind, optimizer_config.config);
    model.compile({ loss: loss as CompileArgs['loss'], metrics, optimizer, lossWeights: loss_weights });
    if (json.optimizerState) {
      const orders = trainableOrders(model, order);
      checkOptimizerState(
        json,
        orders.inFile.map((i) => model.weights[i].shape),
        where,
        op,
      );
      // the state tensors are written in place, so training resumes exactly where it was saved
      optimizer.iterations = json.optimizerState.iterations;
      const states = optimizer.getState(model.trainableWeights).flat();
      const stored = stateInLayerOrder(orders, optimizerState);
      tidy(() => states.forEach((state, i) => state.backend.assign(state.info(op), asTensor(stored[i]).info(op))));
    }
  }
  return model;
}

/**
 * Loads a model saved by saveModel: from a folder or its model.json (Node), 'indexeddb://name',
 * an http(s):// URL of a model.json (or its folder), or a ModelStore such as browserFiles(files).
 * The model comes back compiled if it was saved compiled, with its optimizer state if saved. Its
 * outputs are typed as one tensor; name them `loadModel<SymbolicTensor[]>` for a model saved with a list.
 */
export async function loadModel<O extends SymbolicTensor | SymbolicTensor[] = SymbolicTensor>(
  source: string | ModelStore,
): Promise<Model<O>> {
  const { artifacts, url } = await loadArtifacts(source, 'loadModel');
  return budgetedModel(artifacts, url, 'loadModel') as unknown as Model<O>;
}

/**
 * Loads a modelCheckpoint's directory: the model (compiled, optimizer state restored when saved) and
 * the epochs it had completed; pass `initialEpoch: epoch` to fit to resume where it stopped.
 */
export async function loadCheckpoint<O extends SymbolicTensor | SymbolicTensor[] = SymbolicTensor>(
  source: string | ModelStore,
): Promise<{ model: Model<O>; epoch: number }> {
  const { artifacts, url } = await loadArtifacts(source, 'loadCheckpoint');
  const model = budgetedModel(artifacts, url, 'loadCheckpoint') as unknown as Model<O>;
  return { model, epoch: artifacts.json.epochsCompleted ?? 0 };
}

/**
 * Sets an existing model's weights from a saved directory. Everything is checked first (file size,
 * checksum, every shape against this model), so on any error the model is left as it was.
 */
export async function loadWeights(model: AnyModel, source: string | ModelStore): Promise<void> {
  const { artifacts, url } = await loadArtifacts(source, 'loadWeights');
  const { weights } = checkArtifacts(artifacts, url, 'loadWeights');
  model.build(); // a Sequential of a declared input shape builds its weights now
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
