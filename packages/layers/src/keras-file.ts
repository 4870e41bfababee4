// Keras 3's `.keras` file as bytes, both ways: a zip (fflate) holding config.json, metadata.json and
// model.weights.h5, the HDF5 file read and written by h5wasm (the HDF5 C library in WebAssembly, in its
// in-memory file system, so an HDF5 link can name no file on disk). Both packages are imported on first
// use, keeping them off a page's start. A .keras file is untrusted: every zip entry name is checked
// (none may leave the archive's folder), each wanted member is inflated in small steps against a bound
// (a zip bomb is cut off, whatever its headers say), and every dataset's shape, dtype and kind is
// listed before any value is read; links and virtual datasets are refused.
import { loadLimits } from './limits.js';

/** One dataset of model.weights.h5: its shape and whether it holds little-endian float32 values. */
export interface H5Entry {
  shape: number[];
  /** h5wasm's dtype string ('<f' for float32, '<i' for int32, ...), for errors. */
  dtype: string;
  float32: boolean;
  /** An integer of 4 or 8 bytes (Keras's optimizer step count). */
  integer: boolean;
}

/** A .keras file opened: its two JSON members, its datasets by path, and a reader for their values. */
export interface KerasContents {
  config: unknown;
  metadata: unknown;
  datasets: Map<string, H5Entry>;
  /** The values of listed float32 datasets (checked by the caller against what it expects). */
  read(paths: readonly string[]): Float32Array[];
  /** The value of a scalar dataset (an integer or a float), as a number. */
  readScalar(path: string): number;
  close(): void;
}

/** A dataset to write: its path in the HDF5 file, shape and values. */
export interface H5Dataset {
  path: string;
  shape: number[];
  values: Float32Array | Int32Array;
}

const MEMBERS = ['config.json', 'metadata.json', 'model.weights.h5'] as const;
type Member = (typeof MEMBERS)[number];

/** Why a zip entry name is refused, or undefined: a relative path of plain names, as Keras writes them. */
function badEntryName(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.includes('\\') || [...name].some((c) => c.charCodeAt(0) < 0x20)) {
    return 'holds a backslash or control character';
  }
  if (name.startsWith('/') || /^[a-z]:/i.test(name)) return 'is an absolute path';
  const segments = name.replace(/\/$/, '').split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return "has an empty, '.' or '..' segment";
  return undefined;
}

/** The most bytes each member may inflate to: the model.json ceiling for JSON, the weights ceiling for HDF5. */
function memberBounds(): Record<Member, number> {
  const { maxJsonBytes, maxWeightBytes } = loadLimits();
  return {
    'config.json': maxJsonBytes,
    'metadata.json': maxJsonBytes,
    'model.weights.h5': maxWeightBytes + maxJsonBytes,
  };
}

// a deflate step inflates at most ~1032 bytes per input byte, so 16 KiB steps bound each allocation
const STEP = 16 * 1024;

/** The three members of a .keras zip, each inflated under its bound; `where` names the file in errors. */
async function unzipMembers(bytes: Uint8Array, where: string, op: string): Promise<Record<Member, Uint8Array>> {
  const { Unzip, UnzipInflate } = await import('fflate');
  const bounds = memberBounds();
  const found = new Map<string, Uint8Array>();
  const seen = new Set<string>();
  let failure: Error | undefined;
  const fail = (message: string) => {
    failure ??= new Error(`${op}: ${where}: ${message}`);
  };
  const unzip = new Unzip((file) => {
    const problem = badEntryName(file.name);
    if (problem) {
      return fail(`zip entry '${file.name.slice(0, 200)}' ${problem}; a .keras file's entries stay inside it`);
    }
    if (seen.has(file.name)) return fail(`zip entry '${file.name}' appears twice`);
    seen.add(file.name);
    if (!(MEMBERS as readonly string[]).includes(file.name)) return; // assets and others are not read
    const bound = bounds[file.name as Member];
    if (file.compression !== 0 && file.compression !== 8) {
      return fail(
        `zip entry '${file.name}' uses compression method ${file.compression}; expected stored (0) or deflate (8)`,
      );
    }
    if (file.originalSize !== undefined && file.originalSize > bound) {
      return fail(
        `zip entry '${file.name}' declares ${file.originalSize} bytes, above its ${bound}-byte ceiling; it was not inflated`,
      );
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    file.ondata = (error, chunk, final) => {
      if (failure) return;
      if (error) return fail(`zip entry '${file.name}' is corrupt: ${error.message}`);
      total += chunk.length;
      if (total > bound) {
        file.terminate();
        return fail(`zip entry '${file.name}' inflates past its ${bound}-byte ceiling (a zip bomb?); it was cut off`);
      }
      chunks.push(chunk);
      if (final) found.set(file.name, concat(chunks, total));
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let at = 0; at < bytes.length && !failure; at += STEP) {
      unzip.push(bytes.subarray(at, at + STEP), at + STEP >= bytes.length);
    }
  } catch (cause) {
    fail(`is not a readable zip archive (${(cause as Error).message})`);
  }
  if (failure) throw failure;
  if (seen.size === 0) {
    throw new Error(`${op}: ${where} is not a zip archive; a Keras 3 .keras file is a zip of ${MEMBERS.join(', ')}`);
  }
  const missing = MEMBERS.filter((m) => !found.has(m));
  if (missing.length) {
    throw new Error(
      `${op}: ${where} lacks ${missing.join(', ')}; a Keras 3 .keras file is a zip of config.json, metadata.json and model.weights.h5`,
    );
  }
  return Object.fromEntries(MEMBERS.map((m) => [m, found.get(m)!])) as Record<Member, Uint8Array>;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function parseJson(bytes: Uint8Array, member: string, where: string, op: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new Error(`${op}: ${where}: ${member} is not valid JSON`, { cause });
  }
}

let fileCounter = 0;
const memName = () => `/webgrad-${Date.now().toString(36)}-${(fileCounter++).toString(36)}.h5`;

/**
 * Opens a .keras file's bytes: the zip's members are checked and inflated, the JSON parsed, and the
 * HDF5 file's datasets listed (shape, dtype) without reading a value. Close it when done.
 */
export async function readKerasBytes(bytes: Uint8Array, where: string, op: string): Promise<KerasContents> {
  const members = await unzipMembers(bytes, where, op);
  const config = parseJson(members['config.json'], 'config.json', where, op);
  const metadata = parseJson(members['metadata.json'], 'metadata.json', where, op);
  const h5wasm = (await import('h5wasm')).default;
  const { FS } = await h5wasm.ready;
  const name = memName();
  FS.writeFile(name, members['model.weights.h5']);
  let file: InstanceType<typeof h5wasm.File>;
  try {
    file = new h5wasm.File(name, 'r');
  } catch (cause) {
    FS.unlink(name);
    throw new Error(`${op}: ${where}: model.weights.h5 is not a readable HDF5 file`, { cause });
  }
  const close = () => {
    file.close();
    FS.unlink(name);
  };
  const datasets = new Map<string, H5Entry>();
  const walk = (group: InstanceType<typeof h5wasm.Group>, prefix: string) => {
    for (const key of group.keys()) {
      const path = prefix + key;
      const entity = group.get(key);
      if (entity instanceof h5wasm.Group) {
        walk(entity, `${path}/`);
      } else if (entity instanceof h5wasm.Dataset) {
        const meta = entity.metadata;
        if (meta.virtual_sources?.length) {
          throw new Error(
            `${op}: ${where}: model.weights.h5 entry '${path}' is a virtual dataset; weights must be stored in the file`,
          );
        }
        const float32 = meta.type === 1 && meta.size === 4 && meta.littleEndian;
        const integer = meta.type === 0 && (meta.size === 4 || meta.size === 8);
        datasets.set(path, { shape: [...(meta.shape ?? [])], dtype: String(entity.dtype), float32, integer });
      } else {
        const kind = (entity as { type?: string } | null)?.type ?? 'unreadable';
        throw new Error(
          `${op}: ${where}: model.weights.h5 entry '${path}' is a ${kind}; only groups and datasets are read`,
        );
      }
    }
  };
  try {
    walk(file, '');
  } catch (error) {
    close();
    throw error;
  }
  const read = (paths: readonly string[]) =>
    paths.map((path) => {
      const entity = file.get(path) as InstanceType<typeof h5wasm.Dataset>;
      const value = entity.value;
      if (!(value instanceof Float32Array)) {
        throw new Error(`${op}: ${where}: model.weights.h5 entry '${path}' did not read as float32`);
      }
      return value;
    });
  const readScalar = (path: string) => Number((file.get(path) as InstanceType<typeof h5wasm.Dataset>).value);
  return { config, metadata, datasets, read, readScalar, close };
}

/**
 * A .keras file's bytes: config.json, metadata.json and model.weights.h5 (its groups, each with the
 * `name` attribute Keras gives it, and its datasets) zipped stored, as Keras writes it.
 */
export async function writeKerasBytes(
  config: unknown,
  metadata: unknown,
  groups: readonly { path: string; name?: string }[],
  datasets: readonly H5Dataset[],
): Promise<Uint8Array> {
  const h5wasm = (await import('h5wasm')).default;
  const { FS } = await h5wasm.ready;
  const name = memName();
  const file = new h5wasm.File(name, 'w');
  let h5: Uint8Array;
  try {
    const made = new Set<string>();
    const ensure = (path: string): InstanceType<typeof h5wasm.Group> => {
      const parts = path.split('/');
      for (let i = 1; i <= parts.length; i++) {
        const prefix = parts.slice(0, i).join('/');
        if (!made.has(prefix)) {
          file.create_group(prefix);
          made.add(prefix);
        }
      }
      return file.get(path) as InstanceType<typeof h5wasm.Group>;
    };
    for (const { path, name: attr } of groups) {
      const group = ensure(path);
      if (attr !== undefined) group.create_attribute('name', attr);
    }
    for (const { path, shape, values } of datasets) {
      const slash = path.lastIndexOf('/');
      const parent = ensure(path.slice(0, slash));
      const dtype = values instanceof Float32Array ? '<f4' : '<i4';
      parent.create_dataset({ name: path.slice(slash + 1), data: values, shape, dtype });
    }
  } finally {
    file.close();
    h5 = FS.readFile(name);
    FS.unlink(name);
  }
  const { zipSync, strToU8 } = await import('fflate');
  return zipSync(
    {
      'metadata.json': strToU8(JSON.stringify(metadata)),
      'config.json': strToU8(JSON.stringify(config)),
      'model.weights.h5': h5,
    },
    { level: 0 },
  );
}
