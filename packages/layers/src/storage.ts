// Where saved models live. A ModelStore moves a model's artifacts (format.ts), picked by the URL given
// to save/loadModel as TF.js's IO handlers are: a folder in Node (a plain path or file://; a path
// ending in .json names the model.json file itself), indexeddb:// and downloads:// in browsers
// (storage-browser.ts), http(s):// to load from a server (in a page, a plain path is a URL relative to
// the page), or a ModelStore object (browserFiles for an <input type=file>). Node built-ins are
// imported only when a folder is used.
import { weightsFileOf, withWeightsFile, type ModelJson, type ModelStore } from './format.js';
import { downloadsStore, indexedDbStore } from './storage-browser.js';

/** The store a URL names, or the store itself; `op` names the caller in errors. */
export function modelStore(target: string | ModelStore, op: string): ModelStore {
  if (typeof target !== 'string') {
    if (target && typeof target === 'object' && typeof target.url === 'string') return target;
    throw new Error(
      `${op}: expected a path, a URL (indexeddb://, downloads://, http(s)://, file://) or a ModelStore, got ${describe(target)}`,
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target)?.[1]?.toLowerCase();
  const rest = target.slice((scheme?.length ?? 0) + 3);
  switch (scheme) {
    case undefined: {
      // in a page a plain path is a URL relative to it, as TF.js's loadLayersModel('model/model.json')
      const page = (globalThis as { location?: { href: string }; document?: unknown }).document
        ? (globalThis as { location?: { href: string } }).location
        : undefined;
      return page ? httpStore(new URL(target, page.href).href) : folderStore(target);
    }
    case 'file':
      return folderStore(decodeURIComponent(new URL(target).pathname));
    case 'indexeddb':
      return indexedDbStore(nameIn(rest, target, op));
    case 'downloads':
      return downloadsStore(nameIn(rest, target, op));
    case 'http':
    case 'https':
      return httpStore(target);
    default:
      throw new Error(
        `${op}: unknown scheme '${scheme}://' in '${target}'; known: a path, file://, indexeddb://, downloads://, http(s)://`,
      );
  }
}

function nameIn(rest: string, url: string, op: string): string {
  if (!rest) throw new Error(`${op}: '${url}' names no model; expected e.g. '${url}my-model'`);
  return rest;
}

function describe(value: unknown): string {
  return value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object without a url'
        : `${typeof value} ${String(value)}`;
}

// The specifiers are variables so that browser bundlers leave Node's built-ins out (as webgpu's
// device.ts does with 'webgpu'); in a browser the import fails and the error says what to use there.
const fsModule = 'node:fs/promises',
  pathModule = 'node:path';
/**
 * node:fs/promises and node:path, imported by variable names so browser bundles leave them out.
 * @internal (left out of the published .d.ts: Node's types must not reach a browser app's)
 */
export async function nodeFs(op = 'saveModel/loadModel') {
  try {
    const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ fsModule);
    const path: typeof import('node:path') = await import(/* @vite-ignore */ pathModule);
    return { fs, path };
  } catch (cause) {
    throw new Error(
      `${op}: files on disk need Node (node:fs); in a browser, save to 'indexeddb://name' or 'downloads://name' and load from those, an http(s):// URL or browserFiles(files)`,
      { cause },
    );
  }
}

/**
 * A folder holding model.json and its weights file. Saves are atomic: files are written under
 * temporary names and renamed into place, and the weights alternate between weights.bin and
 * weights-b.bin (model.json, written last, names the one in use), so a crash mid-save leaves the
 * previous save whole. Loading from a path ending in .json reads that file and the weights file its
 * manifest names beside it (e.g. the two files downloads:// gives).
 */
export function folderStore(target: string): ModelStore {
  return {
    url: target,
    async save({ json, weights }, op) {
      const { fs, path } = await nodeFs(op);
      if (target.endsWith('.json')) {
        throw new Error(
          `${op}: '${target}' names a file; save into a folder (model.json and its weights file are written there)`,
        );
      }
      await fs.mkdir(target, { recursive: true });
      const current = await fs.readFile(path.join(target, 'model.json'), 'utf8').then(
        (text) => (JSON.parse(text) as ModelJson).weightsManifest?.[0]?.paths?.[0],
        () => undefined,
      );
      const weightsFile = current === 'weights.bin' ? 'weights-b.bin' : 'weights.bin';
      const saved = withWeightsFile(json, weightsFile);
      const stamp = `.tmp-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const write = async (name: string, data: string | Uint8Array) => {
        await fs.writeFile(path.join(target, name + stamp), data);
        await fs.rename(path.join(target, name + stamp), path.join(target, name)); // atomic: the old file or the new, never half
      };
      await write(weightsFile, weights);
      await write('model.json', JSON.stringify(saved, null, 1));
      if (current && current !== weightsFile && /^weights(-b)?\.bin$/.test(current)) {
        await fs.rm(path.join(target, current), { force: true });
      }
      // temporaries a crashed save left behind (ours were renamed away)
      const debris = (await fs.readdir(target)).filter((f) => /^(model\.json|weights(-b)?\.bin)\.tmp-/.test(f));
      for (const f of debris) await fs.rm(path.join(target, f), { force: true });
    },
    async load(op) {
      const { fs, path } = await nodeFs(op);
      const jsonPath = target.endsWith('.json') ? target : path.join(target, 'model.json');
      const read = async <T>(file: string, how: () => Promise<T>): Promise<T> => {
        try {
          return await how();
        } catch (cause) {
          throw new Error(`${op}: cannot read ${file}: ${(cause as Error).message}`, { cause });
        }
      };
      const json = await read(jsonPath, async () => JSON.parse(await fs.readFile(jsonPath, 'utf8')) as ModelJson);
      const weightsPath = path.join(path.dirname(jsonPath), weightsFileOf(json, jsonPath, op));
      return { json, weights: await read(weightsPath, () => fs.readFile(weightsPath)) };
    },
  };
}

/** Loads from a server: the URL of a model.json (or of a folder holding one), weights beside it. */
export function httpStore(url: string): ModelStore {
  const jsonUrl = /\.json([?#]|$)/.test(url) ? url : url.replace(/\/?$/, '/model.json');
  const get = async (target: string, op: string): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(target);
    } catch (cause) {
      throw new Error(`${op}: GET ${target} failed: ${(cause as Error).message}`, { cause });
    }
    if (!response.ok) throw new Error(`${op}: GET ${target} answered ${response.status} ${response.statusText}`);
    return response;
  };
  return {
    url,
    async load(op) {
      const json = (await (await get(jsonUrl, op)).json()) as ModelJson;
      const weightsUrl = new URL(weightsFileOf(json, jsonUrl, op), jsonUrl).href;
      return { json, weights: new Uint8Array(await (await get(weightsUrl, op)).arrayBuffer()) };
    },
  };
}
