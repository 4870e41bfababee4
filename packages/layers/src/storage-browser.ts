// The browser's model stores. indexeddb://name keeps model.json and the weights in one IndexedDB
// record, written in one transaction (a save is whole or absent). downloads://name hands the user
// name.json and name.weights.bin, as TF.js does (or, above the save's shard bound, the weights as
// name.group1-shard1of3.bin, ...); browserFiles loads them back from an
// <input type=file> (or Node loads name.json from a folder), checking model.json and the weights
// file's size before reading it. listModels/removeModel manage the IndexedDB ones.
import {
  checkModelJson,
  expectedWeightBytes,
  shardsOf,
  sizeMismatch,
  weightsFilesOf,
  withWeightsFile,
  type ModelJson,
  type ModelStore,
} from './format.js';
import { loadLimits } from './limits.js';

const DATABASE = 'webgrad',
  MODELS = 'models';

interface StoredModel {
  name: string;
  json: ModelJson;
  weights: ArrayBuffer;
  savedAt: string;
}

function indexedDb(op: string): IDBFactory {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) {
    throw new Error(
      `${op}: indexeddb:// needs a browser's IndexedDB (there is none here); in Node, save to a folder path`,
    );
  }
  return idb;
}

/** Runs fn in one transaction on the models store and resolves when it has committed. */
async function transact<T>(
  op: string,
  mode: IDBTransactionMode,
  fn: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDb(op).open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(MODELS, { keyPath: 'name' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () =>
      reject(new Error(`${op}: cannot open IndexedDB database '${DATABASE}': ${request.error?.message}`));
    request.onblocked = () =>
      reject(new Error(`${op}: IndexedDB database '${DATABASE}' is blocked by another tab holding an older version`));
  });
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(MODELS, mode);
      const request = fn(tx.objectStore(MODELS));
      const fail = () =>
        reject(new Error(`${op}: IndexedDB ${mode} failed: ${(tx.error ?? request.error)?.message ?? 'aborted'}`));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = fail;
      tx.onabort = fail;
    });
  } finally {
    db.close();
  }
}

export function indexedDbStore(name: string): ModelStore {
  const url = `indexeddb://${name}`;
  return {
    url,
    async save({ json, weights }, op) {
      const record: StoredModel = { name, json, weights: weights.slice().buffer, savedAt: new Date().toISOString() };
      await transact(op, 'readwrite', (store) => store.put(record));
    },
    async load(op) {
      const record = await transact<StoredModel | undefined>(op, 'readonly', (store) => store.get(name));
      if (!record) {
        const saved = (await listModels()).map((m) => m.url);
        throw new Error(`${op}: no model saved as ${url}; saved: ${saved.length ? saved.join(', ') : 'none'}`);
      }
      return { json: record.json, weights: new Uint8Array(record.weights) };
    },
  };
}

/** The models saved in this origin's IndexedDB: URL, when, and the weights' size in bytes. */
export async function listModels(): Promise<{ url: string; savedAt: string; bytes: number }[]> {
  const records = await transact<StoredModel[]>('listModels', 'readonly', (store) => store.getAll());
  return records.map((r) => ({ url: `indexeddb://${r.name}`, savedAt: r.savedAt, bytes: r.weights.byteLength }));
}

/** Deletes an indexeddb:// model; an error if there is none of that name. */
export async function removeModel(url: string): Promise<void> {
  const name = /^indexeddb:\/\/(.+)$/.exec(url)?.[1];
  if (!name) throw new Error(`removeModel: expected 'indexeddb://name', got '${url}'`);
  const exists = await transact('removeModel', 'readonly', (store) => store.count(name));
  if (!exists) throw new Error(`removeModel: no model saved as ${url}`);
  await transact('removeModel', 'readwrite', (store) => store.delete(name));
}

/** Save-only: the browser downloads name.json and name.weights.bin. */
export function downloadsStore(name: string): ModelStore {
  return {
    url: `downloads://${name}`,
    async save({ json, weights, shardBytes }, op) {
      const document = (globalThis as { document?: Document }).document;
      if (!document) {
        throw new Error(
          `${op}: downloads:// needs a browser page (there is no document here); in Node, save to a folder path`,
        );
      }
      // one file as TF.js's downloads:// names it, or the converter's shards, prefixed with the name
      const shards = shardsOf(weights, shardBytes);
      const weightsFiles =
        shards.length === 1
          ? [`${name}.weights.bin`]
          : shards.map((_, i) => `${name}.group1-shard${i + 1}of${shards.length}.bin`);
      const saved = withWeightsFile(json, weightsFiles);
      const files: [string, Blob][] = [
        [`${name}.json`, new Blob([JSON.stringify(saved, null, 1)], { type: 'application/json' })],
        ...weightsFiles.map((file, i): [string, Blob] => [
          file,
          new Blob([shards[i].slice().buffer], { type: 'application/octet-stream' }),
        ]),
      ];
      for (const [file, blob] of files) {
        const link = document.createElement('a');
        link.download = file;
        link.href = URL.createObjectURL(blob);
        link.click();
        // the download has taken the blob by the next task; revoking at once can cancel it in some browsers
        setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      }
    },
    async load(op) {
      throw new Error(
        `${op}: downloads://${name} only saves; load the two files with loadModel(browserFiles([jsonFile, weightsFile])) or, in Node, loadModel('folder/${name}.json')`,
      );
    },
  };
}

/** What browserFiles reads of a File (declared here, so the package's types need no DOM lib). */
export interface PickedFile {
  readonly name: string;
  readonly size: number;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Loads a model from files the user picked (an <input type=file multiple>): the .json and the weights
 * file it names. Sizes are checked before either is read: the .json against the ceiling, the weights
 * file against the size model.json describes.
 */
export function browserFiles(files: ArrayLike<PickedFile>): ModelStore {
  const list = Array.from(files);
  return {
    url: `browserFiles(${list.map((f) => f.name).join(', ')})`,
    async load(op) {
      const jsonFiles = list.filter((f) => f.name.endsWith('.json'));
      if (jsonFiles.length !== 1) {
        throw new Error(
          `${op}: browserFiles needs exactly one .json file among ${list.length} (${list.map((f) => f.name).join(', ') || 'none'})`,
        );
      }
      const { maxJsonBytes } = loadLimits();
      if (jsonFiles[0].size > maxJsonBytes) {
        throw new Error(
          `${op}: ${jsonFiles[0].name} holds ${jsonFiles[0].size} bytes, ` +
            `above the ${maxJsonBytes}-byte ceiling for model.json; it was not read`,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(await jsonFiles[0].text());
      } catch (cause) {
        throw new Error(`${op}: ${jsonFiles[0].name} is not JSON: ${(cause as Error).message}`, { cause });
      }
      const json: ModelJson = checkModelJson(parsed, jsonFiles[0].name, op);
      const expected = expectedWeightBytes(json, jsonFiles[0].name, op);
      const wanted = weightsFilesOf(json, jsonFiles[0].name, op).map((path) => path.split('/').pop()!);
      const others = list.filter((f) => f !== jsonFiles[0]);
      // one weights file may have been renamed by the browser (name (1).weights.bin); shards go by name
      const weightsFiles = wanted.map(
        (file) =>
          others.find((f) => f.name === file) ?? (wanted.length === 1 && others.length === 1 ? others[0] : undefined),
      );
      const missing = wanted.filter((_, i) => !weightsFiles[i]);
      if (missing.length) {
        const named =
          missing.length === 1
            ? `weights file '${missing[0]}', which is`
            : `weights files ${missing.map((f) => `'${f}'`).join(', ')}, which are`;
        throw new Error(
          `${op}: ${jsonFiles[0].name} names ${named} not among the files given (${others.map((f) => f.name).join(', ') || 'none'})`,
        );
      }
      const picked = weightsFiles as PickedFile[];
      const size = picked.reduce((n, f) => n + f.size, 0);
      if (size !== expected) throw sizeMismatch(picked.map((f) => f.name).join(' + '), size, expected, op);
      const weights = new Uint8Array(size);
      let at = 0;
      for (const file of picked) {
        const bytes = new Uint8Array(await file.arrayBuffer());
        // a file that changed since it was picked is refused rather than read past its place
        if (bytes.byteLength !== file.size) throw sizeMismatch(file.name, bytes.byteLength, file.size, op);
        weights.set(bytes, at);
        at += bytes.byteLength;
      }
      return { json, weights };
    },
  };
}
