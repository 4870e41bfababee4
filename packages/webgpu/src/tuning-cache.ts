// Where the GEMM autotune (gemm-autotune.ts) keeps its answer between runs: tuning otherwise costs
// time and pipeline compiles at every start (measurements stay out of comments: the figures are in
// bench/RESULTS.md). In a browser: localStorage. In Node: one JSON file, tuning.json, in
// $WEBGRAD_CACHE_DIR, else $XDG_CACHE_HOME/webgrad, else ~/.cache/webgrad. A cache that cannot be
// read or written is passed over: tuning again is always correct, so no cache error ever stops a
// backend from starting. Node's modules load dynamically, so a page never loads them.

/** A string store for tuning results. Keys name the adapter and the kernels' sources (gemm-autotune.ts). */
export interface TuningCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** What the cache uses of a Web Storage object such as localStorage (declared here: no DOM types needed). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** localStorage, under `webgrad:<key>`. */
export function localStorageTuningCache(storage: KeyValueStorage): TuningCache {
  return {
    async get(key) {
      try {
        return storage.getItem(`webgrad:${key}`) ?? undefined;
      } catch {
        return undefined;
      }
    },
    async set(key, value) {
      try {
        storage.setItem(`webgrad:${key}`, value);
      } catch {
        /* full or denied: tune next time */
      }
    },
  };
}

/** The few functions of Node's `fs/promises` the file cache uses (this package has no Node types). */
interface NodeFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  writeFile(path: string, data: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: true }): Promise<void>;
}

/** One JSON object of key → value in `<dir>/tuning.json`; written whole through a rename, so concurrent processes never see half a file. */
export function fileTuningCache(dir: string): TuningCache {
  const file = `${dir}/tuning.json`;
  const fsName = 'node:fs/promises'; // a variable, so browser bundlers leave it out (as device.ts does for Dawn)
  const nodeFs = async () => (await import(/* @vite-ignore */ fsName)) as NodeFs;
  const read = async (): Promise<Record<string, unknown>> => {
    const fs = await nodeFs();
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : {};
    } catch {
      return {}; // missing or unreadable: nothing cached
    }
  };
  return {
    async get(key) {
      const value = (await read())[key];
      return typeof value === 'string' ? value : undefined;
    },
    async set(key, value) {
      const fs = await nodeFs();
      const entries = { ...(await read()), [key]: value };
      const temporary = `${file}.${Math.random().toString(36).slice(2)}`;
      try {
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(temporary, `${JSON.stringify(entries, null, 1)}\n`);
        await fs.rename(temporary, file);
      } catch {
        await fs.rm(temporary, { force: true }).catch(() => undefined); // read-only or full: tune next time
      }
    },
  };
}

/** The platform's cache: localStorage in a page, the cache directory in Node, none elsewhere. */
export function defaultTuningCache(): TuningCache | undefined {
  const scope = globalThis as {
    localStorage?: KeyValueStorage;
    process?: { versions?: { node?: string }; env: Record<string, string | undefined> };
  };
  if (scope.process?.versions?.node) {
    const env = scope.process.env;
    const dir =
      env.WEBGRAD_CACHE_DIR ||
      (env.XDG_CACHE_HOME ? `${env.XDG_CACHE_HOME}/webgrad` : env.HOME ? `${env.HOME}/.cache/webgrad` : undefined);
    return dir ? fileTuningCache(dir) : undefined;
  }
  try {
    return scope.localStorage ? localStorageTuningCache(scope.localStorage) : undefined;
  } catch {
    return undefined; // a sandboxed page throws on the mere access
  }
}
