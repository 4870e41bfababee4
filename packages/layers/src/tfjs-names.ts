// The names TF.js Layers and webgrad give the same things: tfjs-layers' own snake_case / camelCase
// conversions (convertTsToPythonic, convertPythonicToTs, character for character, so a config reads as
// TF.js wrote it), and webgrad's initializer and regularizer descriptions against TF.js's
// {class_name, config} objects (VarianceScaling, Zeros, L1L2, ...). tfjs-format.ts maps whole models with them.

type Dict = Record<string, unknown>;

export const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The prefix of the registered class names webgrad writes for layers and optimizers TF.js and Keras
 * lack (or hold with options they lack): 'webgrad>Maxout' is what tf.serialization.registerClass(cls,
 * 'webgrad') and Keras's register_keras_serializable(package='webgrad') name a class, so a reader
 * either has the class registered or names it in its error. Such a class keeps webgrad's own config.
 */
export const CUSTOM_PREFIX = 'webgrad>';

/** Whether a {className | class_name, config} object is one of webgrad's registered classes. */
const isCustom = (value: Dict): boolean => {
  const name = value.className ?? value.class_name;
  return typeof name === 'string' && name.startsWith(CUSTOM_PREFIX);
};

// tfjs-layers' generic_utils toSnakeCase / toCamelCase, character for character
export const toSnakeCase = (name: string): string => {
  const intermediate = name.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2');
  const insecure = intermediate.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return insecure[0] !== '_' ? insecure : `private${insecure}`;
};
export const toCamelCase = (id: string): string =>
  id.length <= 1 || !id.includes('_') ? id : id.replace(/[_]+(\w|$)/g, (_m, p1: string) => p1.toUpperCase());

// a layer or model name is the first item of an inbound node or an input/output reference, never recased
const isNameItem = (key: string | undefined, index: number, item: unknown): boolean =>
  (key === 'inboundNodes' || key === 'outputLayers' || key === 'inputLayers') &&
  index === 0 &&
  typeof item === 'string';

/**
 * tfjs-layers' convertTsToPythonic: keys and string values to snake_case, names kept; a webgrad
 * registered class's config is kept as webgrad wrote it, so it reads back exactly.
 */
export function convertTsToPythonic(value: unknown, key?: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return toSnakeCase(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    return value.map((item, i) => (isNameItem(key, i, item) ? item : convertTsToPythonic(item, key)));
  }
  const out: Dict = {};
  const custom = isCustom(value as Dict);
  for (const [tsKey, tsValue] of Object.entries(value as Dict)) {
    const keep =
      ((tsKey === 'name' || tsKey === 'className') && typeof tsValue === 'string') || (custom && tsKey === 'config');
    out[toSnakeCase(tsKey)] = keep ? tsValue : convertTsToPythonic(tsValue, tsKey);
  }
  return out;
}

/** tfjs-layers' convertPythonicToTs: keys and string values to camelCase, names (and registered classes' configs) kept. */
export function convertPythonicToTs(value: unknown, key?: string): unknown {
  if (value === null) return null;
  if (typeof value === 'string') return toCamelCase(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    return value.map((item, i) => (isNameItem(key, i, item) ? item : convertPythonicToTs(item, key)));
  }
  if (!isDict(value)) return value;
  const out: Dict = {};
  const custom = isCustom(value);
  for (const [pyKey, pyValue] of Object.entries(value)) {
    if ((pyKey === 'name' && typeof pyValue === 'string') || (custom && pyKey === 'config')) {
      out[pyKey] = pyValue;
      continue;
    }
    const tsKey = toCamelCase(pyKey);
    out[tsKey] = convertPythonicToTs(pyValue, tsKey);
  }
  return out;
}

// ---- initializers and regularizers ----

// webgrad's variance-scaling initializers and the VarianceScaling config TF.js writes for each
const VARIANCE_SCALING: Record<string, { scale: number; mode: string; distribution: string }> = {
  glorotUniform: { scale: 1, mode: 'fanAvg', distribution: 'uniform' },
  glorotNormal: { scale: 1, mode: 'fanAvg', distribution: 'normal' },
  heUniform: { scale: 2, mode: 'fanIn', distribution: 'uniform' },
  heNormal: { scale: 2, mode: 'fanIn', distribution: 'normal' },
  lecunUniform: { scale: 1, mode: 'fanIn', distribution: 'uniform' },
  lecunNormal: { scale: 1, mode: 'fanIn', distribution: 'normal' },
};
const SIMPLE_INITIALIZERS: Record<string, string> = {
  zeros: 'Zeros',
  ones: 'Ones',
  constant: 'Constant',
  randomNormal: 'RandomNormal',
  randomUniform: 'RandomUniform',
  orthogonal: 'Orthogonal',
};
// each initializer's config as TF.js writes it with its defaults; webgrad's own options override them
const TFJS_INITIALIZER_DEFAULTS: Record<string, Dict> = {
  RandomNormal: { mean: 0, stddev: 0.05, seed: null },
  RandomUniform: { minval: -0.05, maxval: 0.05, seed: null },
  Orthogonal: { gain: 1, seed: null },
};

/** webgrad's initializer description (a name, or {name, config}) as TF.js serialises one. */
export function tfjsInitializer(saved: unknown): Dict | null {
  if (saved === undefined || saved === null) return null;
  const name = typeof saved === 'string' ? saved : String((saved as Dict).name);
  const config = isDict(saved) && isDict(saved.config) ? saved.config : {};
  const scaling = VARIANCE_SCALING[name];
  if (scaling) return { className: 'VarianceScaling', config: { ...scaling, seed: null } };
  const className = SIMPLE_INITIALIZERS[name];
  if (!className) throw new Error(`toTfjsArtifacts: initializer '${name}' has no TF.js counterpart`);
  return { className, config: { ...TFJS_INITIALIZER_DEFAULTS[className], ...config } };
}

/** A TF.js initializer ({className, config} after convertPythonicToTs) as webgrad describes one. */
export function webgradInitializer(tfjs: unknown, where: string): unknown {
  if (tfjs === undefined || tfjs === null) return undefined;
  if (!isDict(tfjs) || typeof tfjs.className !== 'string') {
    throw new Error(`loadModel: ${where} has an initializer that is not {class_name, config}: ${JSON.stringify(tfjs)}`);
  }
  const config = isDict(tfjs.config) ? tfjs.config : {};
  const className = tfjs.className;
  if (className === 'VarianceScaling') {
    // Keras writes truncated normals; only the scale, the fan and the family matter for naming
    const normal = String(config.distribution).toLowerCase().includes('normal');
    const match = Object.entries(VARIANCE_SCALING).find(
      ([, v]) => v.scale === config.scale && v.mode === config.mode && (v.distribution === 'normal') === normal,
    );
    // a load sets the weights right after, so an unnamed variance scaling only changes later re-initialisation
    return match ? match[0] : normal ? 'glorotNormal' : 'glorotUniform';
  }
  const keras: Record<string, string> = {
    GlorotUniform: 'glorotUniform',
    GlorotNormal: 'glorotNormal',
    HeNormal: 'heNormal',
    HeUniform: 'heUniform',
    LeCunNormal: 'lecunNormal',
    LeCunUniform: 'lecunUniform',
  };
  if (keras[className]) return keras[className];
  const name = Object.keys(SIMPLE_INITIALIZERS).find((n) => SIMPLE_INITIALIZERS[n] === className);
  if (!name) throw new Error(`loadModel: ${where} uses initializer '${className}', which webgrad lacks`);
  const { seed: _seed, ...own } = config;
  const options = name === 'orthogonal' ? { gain: own.gain ?? 1 } : own;
  return Object.keys(options).length ? { name, config: options } : name;
}

export function tfjsRegularizer(saved: unknown): Dict | null {
  if (!isDict(saved)) return null;
  const config = isDict(saved.config) ? saved.config : {};
  return { className: 'L1L2', config: { l1: config.l1 ?? 0, l2: config.l2 ?? 0 } };
}

export function webgradRegularizer(tfjs: unknown, where: string): unknown {
  if (tfjs === undefined || tfjs === null) return undefined;
  if (!isDict(tfjs) || tfjs.className !== 'L1L2') {
    throw new Error(`loadModel: ${where} uses regularizer ${JSON.stringify(tfjs)}; webgrad reads L1L2`);
  }
  const config = isDict(tfjs.config) ? tfjs.config : {};
  const l1 = Number(config.l1 ?? 0);
  const l2 = Number(config.l2 ?? 0);
  // named as webgrad's l1(), l2() and l1l2() describe themselves, so a loaded model saves as it was
  const name = l1 === 0 && l2 !== 0 ? 'l2' : l2 === 0 && l1 !== 0 ? 'l1' : 'l1l2';
  return { name, config: { l1, l2 } };
}
