// Where saved models live. A ModelStore moves a model's artifacts (format.ts), picked by the URL given
// to save/loadModel as TF.js's IO handlers are: a folder in Node (a plain path or file://, whose path is
// what follows file:// as in TF.js; a path ending in .json names the model.json file itself),
// indexeddb:// and downloads:// in browsers (storage-browser.ts), http(s):// to load from a server (in
// a page, a plain path is a URL relative to the page), or a ModelStore object (browserFiles for an
// <input type=file>). A loaded model file is untrusted: a store reads only what model.json names inside
// its folder (or below its URL, on its origin), only regular files, and only the byte counts model.json
// describes, checked before reading. Node built-ins are imported only when a folder is used.
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
      if (!page && target === '') throw new Error(`${op}: an empty path names no folder`);
      return page ? httpStore(new URL(target, page.href).href) : folderStore(target);
    }
    case 'file':
      return folderStore(filePath(rest, target, op));
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

/**
 * The path a file:// URL names: what follows file://, as TF.js's file:// handler reads it (file://./dir
 * is ./dir, file:///abs/dir is /abs/dir), with %-escapes decoded so pathToFileURL's URLs work too.
 */
function filePath(rest: string, url: string, op: string): string {
  let path: string;
  try {
    path = decodeURIComponent(rest);
  } catch {
    throw new Error(`${op}: '${url}' holds a malformed %-escape`);
  }
  if (!path) {
    throw new Error(
      `${op}: '${url}' names no folder; what follows file:// is the path, e.g. 'file://./my-model' or 'file:///home/me/my-model'`,
    );
  }
  return path;
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
  pathModule = 'node:path',
  osModule = 'node:os';
/**
 * node:fs/promises, node:path and node:os, imported by variable names so browser bundles leave them out.
 * @internal (left out of the published .d.ts: Node's types must not reach a browser app's)
 */
export async function nodeFs(op = 'saveModel/loadModel') {
  try {
    const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ fsModule);
    const path: typeof import('node:path') = await import(/* @vite-ignore */ pathModule);
    const os: typeof import('node:os') = await import(/* @vite-ignore */ osModule);
    return { fs, path, os };
  } catch (cause) {
    throw new Error(
      `${op}: files on disk need Node (node:fs); in a browser, save to 'indexeddb://name' or 'downloads://name' and load from those, an http(s):// URL or browserFiles(files)`,
      { cause },
    );
  }
}

type NodeFs = Awaited<ReturnType<typeof nodeFs>>;

const SAVING = '.webgrad-saving-';

/** Whether `child` lies strictly inside the folder `root` (both absolute, links resolved). */
function inside({ path }: NodeFs, root: string, child: string): boolean {
  const relative = path.relative(root, child);
  return relative !== '' && !path.isAbsolute(relative) && relative.split(path.sep)[0] !== '..';
}

const kindOf = (info: import('node:fs').Stats): string =>
  info.isDirectory()
    ? 'a directory'
    : info.isFIFO()
      ? 'a FIFO'
      : info.isCharacterDevice() || info.isBlockDevice()
        ? 'a device'
        : info.isSocket()
          ? 'a socket'
          : 'not a regular file';

/**
 * Reads a regular file whose size was checked first: `exactly` bytes (a weights file) or at most
 * `atMost` (model.json). Anything else — a FIFO, a device, a directory, the wrong size — is refused
 * before a byte is read; the open is non-blocking and does not follow links, and the opened file must
 * be the one checked, so a swap between the check and the open is refused too.
 * @internal (its Node types stay out of the published .d.ts, as nodeFs's do)
 */
export async function readRegular(
  { fs }: NodeFs,
  file: string,
  size: { exactly: number } | { atMost: number },
  op: string,
  what = 'model.json',
): Promise<Uint8Array> {
  const checked = await fs.lstat(file);
  if (!checked.isFile()) throw new Error(`${op}: ${file} is ${kindOf(checked)}, not a regular file; it was not read`);
  if ('exactly' in size && checked.size !== size.exactly) throw sizeMismatch(file, checked.size, size.exactly, op);
  if ('atMost' in size && checked.size > size.atMost) {
    throw new Error(
      `${op}: ${file} holds ${checked.size} bytes, above the ${size.atMost}-byte ceiling for ${what}; it was not read`,
    );
  }
  const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants;
  const handle = await fs.open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.ino !== checked.ino || opened.dev !== checked.dev) {
      throw Object.assign(new Error(`${op}: ${file} changed between its check and its opening; it was not read`), {
        swapped: true,
      });
    }
    const bytes = new Uint8Array(checked.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) throw sizeMismatch(file, filled, bytes.length, op);
      filled += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

/**
 * A file named inside `folder` (`file` as model.json gives it, '/'-separated), resolved with its links:
 * returned only if it stays inside, else refused with an error that says nothing about what lies outside.
 * `label` names the file in errors.
 */
async function confinedPath(node: NodeFs, folder: string, file: string, label: string, op: string): Promise<string> {
  const { fs, path } = node;
  const refuse = (why: string) =>
    new Error(`${op}: ${label} ${why}; files a model names must lie inside the model's folder`);
  let real: string;
  try {
    const root = await fs.realpath(folder);
    const joined = path.resolve(root, ...file.split('/'));
    if (!inside(node, root, joined)) throw refuse('leaves the model folder');
    real = await fs.realpath(joined);
    if (!inside(node, root, real)) throw refuse('is a link to a place outside the model folder');
  } catch (cause) {
    if ((cause as Error).message.startsWith(`${op}: `)) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    throw new Error(`${op}: cannot read ${path.join(folder, file)}: ${code ?? (cause as Error).message}`, { cause });
  }
  return real;
}

/**
 * Reads model.json (a regular file, within the ceiling) and checks its fields. In a folder, a
 * model.json that links outside it is refused; a .json path the caller named may be a link.
 */
async function readModelJson(
  node: NodeFs,
  jsonPath: string,
  inFolder: boolean,
  op: string,
): Promise<{ text: string; json: ModelJson }> {
  const { fs, path } = node;
  let text: string | undefined;
  // a save renames a new model.json into place: one swapped between the check and the opening is read again
  for (let attempt = 1; text === undefined; attempt++) {
    try {
      const real = inFolder
        ? await confinedPath(node, path.dirname(jsonPath), path.basename(jsonPath), jsonPath, op)
        : await fs.realpath(jsonPath);
      text = new TextDecoder().decode(await readRegular(node, real, { atMost: loadLimits().maxJsonBytes }, op));
    } catch (cause) {
      if ((cause as { swapped?: boolean }).swapped && attempt < 5) continue;
      const message = (cause as Error).message;
      throw new Error(message.startsWith(`${op}: `) ? message : `${op}: cannot read ${jsonPath}: ${message}`, {
        cause,
      });
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    // JSON.parse's message quotes the text; a model.json is not ours to echo
    throw new Error(`${op}: cannot read ${jsonPath}: it is not valid JSON`, { cause });
  }
  return { text, json: checkModelJson(parsed, jsonPath, op) };
}

/** What a save process left: its process id and host, so a crashed save's files can be told from a running one's. */
async function saverAlive({ fs, os }: NodeFs, marker: string): Promise<boolean> {
  let owner: { pid?: unknown; host?: unknown };
  try {
    owner = JSON.parse(await fs.readFile(marker, 'utf8')) as typeof owner;
  } catch (cause) {
    // gone: that save has finished (committed or failed); being written: it is running
    return (cause as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  if (owner.host !== os.hostname() || typeof owner.pid !== 'number') return true; // cannot tell: keep its files
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Files saves write: weights-<id>.bin or TF.js-format shards group1-shard<i>of<n>-<id>.bin, and each
// file as <name>.tmp-<id> before its rename (ids of saves before this scheme were weights.bin /
// weights-b.bin and a .tmp- stamp). Shards without an id (tensorflowjs_converter's own) are not ours.
const SAVED_FILE =
  /^(?:weights(?:-([a-z0-9-]+))?\.bin|group\d+-shard\d+of\d+-([a-z0-9-]+)\.bin|model\.json)(?:\.tmp-([a-z0-9.-]+))?$/;

/**
 * Removes what no save needs: files of saves that finished or crashed and are not named by the
 * model.json in place. A running save's files are kept (its marker names its process), and every
 * marker is looked at before model.json is read, so a save that commits meanwhile keeps its weights.
 */
async function collectGarbage(node: NodeFs, folder: string): Promise<void> {
  const { fs, path } = node;
  const names = await fs.readdir(folder);
  const running = new Map<string, boolean>();
  const isRunning = async (id: string) => {
    if (!running.has(id)) running.set(id, await saverAlive(node, path.join(folder, SAVING + id)));
    return running.get(id)!;
  };
  const candidates: { name: string; committed: boolean }[] = [];
  for (const name of names) {
    if (name.startsWith(SAVING)) {
      if (!(await isRunning(name.slice(SAVING.length)))) await fs.rm(path.join(folder, name), { force: true });
      continue;
    }
    const match = SAVED_FILE.exec(name);
    if (!match || name === 'model.json') continue;
    const id = match[3] ?? match[1] ?? match[2];
    if (id && (await isRunning(id))) continue;
    candidates.push({ name, committed: match[3] === undefined });
  }
  let named: Set<string>;
  try {
    const current = JSON.parse(await fs.readFile(path.join(folder, 'model.json'), 'utf8')) as ModelJson;
    named = new Set(current.weightsManifest.flatMap((g) => g.paths));
  } catch {
    return; // no readable model.json: nothing is known to be unused
  }
  for (const { name, committed } of candidates) {
    if (!(committed && named.has(name))) await fs.rm(path.join(folder, name), { force: true });
  }
}

/** Shards' bytes, one after another. */
function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** The error a save into the filesystem root (or nowhere) gets; a model needs a folder of its own. */
function checkSaveFolder({ path }: NodeFs, target: string, op: string): void {
  const resolved = path.resolve(target);
  if (target === '' || resolved === path.parse(resolved).root) {
    throw new Error(
      `${op}: '${target}' is the filesystem root (${resolved}); save into a folder of its own, e.g. './my-model'`,
    );
  }
}

/**
 * A folder holding model.json and its weights file. A save writes its weights under a name of its
 * own (weights-<id>.bin; TF.js-format artifacts with shardBytes as group1-shard<i>of<n>-<id>.bin
 * shards), then model.json under a temporary name, and renames model.json into place:
 * that one atomic rename is the commit, so a load sees the previous model or the new one, whole, even
 * with saves running at once in several processes or crashing half-way. Only then are files no
 * model.json names removed (never a running save's). Loading reads only regular files inside the
 * folder, of the sizes model.json describes. A path ending in .json names model.json itself, its
 * weights file beside it (e.g. the two files downloads:// gives).
 */
export function folderStore(target: string): ModelStore {
  return {
    url: target,
    async save({ json, weights, shardBytes }, op) {
      const node = await nodeFs(op);
      const { fs, path, os } = node;
      if (target.endsWith('.json')) {
        throw new Error(
          `${op}: '${target}' names a file; save into a folder (model.json and its weights file are written there)`,
        );
      }
      checkSaveFolder(node, target, op);
      await fs.mkdir(target, { recursive: true });
      const id = `${Date.now().toString(36)}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
      const marker = path.join(target, SAVING + id);
      const owner = await fs.open(marker, 'wx');
      try {
        await owner.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname() }));
      } finally {
        await owner.close();
      }
      try {
        const write = async (name: string, data: string | Uint8Array) => {
          await fs.writeFile(path.join(target, `${name}.tmp-${id}`), data);
          await fs.rename(path.join(target, `${name}.tmp-${id}`), path.join(target, name)); // atomic: the old file or the new, never half
        };
        const shards = shardsOf(weights, shardBytes);
        // each save's files carry its id, so the model.json in place keeps naming whole files until the commit
        const files = shardBytes
          ? shards.map((_, i) => `group1-shard${i + 1}of${shards.length}-${id}.bin`)
          : [`weights-${id}.bin`];
        for (const [i, file] of files.entries()) await write(file, shards[i]);
        await write('model.json', JSON.stringify(withWeightsFile(json, shardBytes ? files : files[0]), null, 1));
      } finally {
        await fs.rm(marker, { force: true });
      }
      await collectGarbage(node, target);
    },
    async load(op) {
      const node = await nodeFs(op);
      const { path } = node;
      const inFolder = !target.endsWith('.json');
      const jsonPath = inFolder ? path.join(target, 'model.json') : target;
      // a save that commits between reading model.json and opening its weights file can remove that
      // file; model.json then names a newer one, read afresh
      for (let attempt = 1; ; attempt++) {
        const { text, json } = await readModelJson(node, jsonPath, inFolder, op);
        const expected = expectedWeightBytes(json, jsonPath, op);
        const files = weightsFilesOf(json, jsonPath, op);
        let weightsPath = path.join(path.dirname(jsonPath), files[0]);
        try {
          // shards in order, each read only up to what the manifest has left to describe
          const parts: Uint8Array[] = [];
          let left = expected;
          for (const [i, file] of files.entries()) {
            weightsPath = path.join(path.dirname(jsonPath), file);
            const label = `weights path '${file}' in ${jsonPath}`;
            const real = await confinedPath(node, path.dirname(jsonPath), file, label, op);
            const size = files.length === 1 ? { exactly: expected } : { atMost: left };
            const part = await readRegular(node, real, size, op, 'the weights model.json describes');
            if (files.length > 1 && i === files.length - 1 && part.byteLength !== left) {
              throw sizeMismatch(
                `${files.join(' + ')} in ${jsonPath}`,
                expected - left + part.byteLength,
                expected,
                op,
              );
            }
            left -= part.byteLength;
            parts.push(part);
          }
          return { json, weights: parts.length === 1 ? parts[0] : joinBytes(parts) };
        } catch (error) {
          const { code } = ((error as Error).cause ?? error) as NodeJS.ErrnoException;
          const replaced =
            code === 'ENOENT' && attempt < 5 && (await readModelJson(node, jsonPath, inFolder, op)).text !== text;
          if (replaced) continue;
          const message = (error as Error).message;
          if (message.startsWith(`${op}: `)) throw error;
          throw new Error(`${op}: cannot read ${weightsPath}: ${message}`, { cause: error });
        }
      }
    },
  };
}

/**
 * The body of an http response, read up to a bound: `exactly` bytes (a weights file) or at most
 * `atMost` (model.json). A Content-Length that says otherwise is refused before the body is read, and
 * the stream is cut off as soon as it passes the bound, whatever the header said.
 */
async function readBody(
  response: Response,
  url: string,
  size: { exactly: number } | { atMost: number },
  op: string,
): Promise<Uint8Array> {
  const bound = 'exactly' in size ? size.exactly : size.atMost;
  const tooMuch = (bytes: string) =>
    'exactly' in size
      ? new Error(
          `${op}: ${url} holds ${bytes} bytes but model.json describes ${size.exactly}; ` +
            'the file is truncated or does not belong to this model',
        )
      : new Error(`${op}: ${url} holds ${bytes} bytes, above the ${size.atMost}-byte ceiling for model.json`);
  const encoding = response.headers.get('content-encoding');
  const declared = response.headers.get('content-length');
  // a compressed body's Content-Length counts the compressed bytes, not those read
  if (declared !== null && (!encoding || encoding === 'identity')) {
    const length = Number(declared);
    const wrong = 'exactly' in size ? length !== size.exactly : length > size.atMost;
    if (wrong) {
      await response.body?.cancel();
      throw tooMuch(declared);
    }
  }
  if (!response.body) return new Uint8Array(await response.arrayBuffer()).slice(0, bound);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > bound) {
      await reader.cancel();
      throw tooMuch(`more than ${bound}`);
    }
    chunks.push(value);
  }
  if ('exactly' in size && total !== size.exactly) throw sizeMismatch(url, total, size.exactly, op);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * The URL of the weights file model.json names: resolved against model.json's URL, on its origin and
 * below its folder, or refused before any request is sent.
 */
function confinedUrl(file: string, jsonUrl: string, op: string): string {
  const folder = new URL('.', jsonUrl);
  const resolved = new URL(file, jsonUrl);
  if (resolved.origin !== folder.origin || !resolved.pathname.startsWith(folder.pathname)) {
    throw new Error(
      `${op}: weights path '${file}' in ${jsonUrl} resolves to ${resolved.origin}${resolved.pathname}, outside ${folder.href}; ` +
        `weights are fetched only from the model's origin, below its model.json`,
    );
  }
  return resolved.href;
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
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`${op}: GET ${target} answered ${response.status} ${response.statusText}`);
    }
    return response;
  };
  return {
    url,
    async load(op) {
      const { maxJsonBytes } = loadLimits();
      const text = new TextDecoder().decode(
        await readBody(await get(jsonUrl, op), jsonUrl, { atMost: maxJsonBytes }, op),
      );
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new Error(`${op}: ${jsonUrl} is not valid JSON`, { cause });
      }
      const json = checkModelJson(parsed, jsonUrl, op);
      const expected = expectedWeightBytes(json, jsonUrl, op);
      // every shard's URL is checked before the first request
      const urls = weightsFilesOf(json, jsonUrl, op).map((file) => confinedUrl(file, jsonUrl, op));
      const parts: Uint8Array[] = [];
      let left = expected;
      for (const [i, weightsUrl] of urls.entries()) {
        const size = urls.length === 1 || i === urls.length - 1 ? { exactly: left } : { atMost: left };
        const part = await readBody(await get(weightsUrl, op), weightsUrl, size, op);
        left -= part.byteLength;
        parts.push(part);
      }
      return { json, weights: parts.length === 1 ? parts[0] : joinBytes(parts) };
    },
  };
}
