// The GEMM autotune's cache (packages/webgpu/src/tuning-cache.ts, gemm-autotune.ts): a valid cached answer is
// used without tuning, anything else is tuned over and replaced; the file and localStorage stores
// keep what they are given and never fail a start. The test run's own start tuned into a fresh
// directory (tests/setup.ts), so the tuning path itself runs in every run.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  autotuneGemm,
  autotuneKey,
  defaultTuningCache,
  describeChoice,
  fileTuningCache,
  gemmChoicesFor,
  localStorageTuningCache,
  WebGPUBackend,
  type GemmChoice,
  type TuningCache,
} from '@webgrad/webgpu';
import { gpu } from '../helpers.js';

/** An in-memory cache that records its writes. */
function memoryCache(
  initial: Record<string, string> = {},
): TuningCache & { entries: Record<string, string>; writes: number } {
  const cache = {
    entries: { ...initial },
    writes: 0,
    async get(key: string) {
      return cache.entries[key];
    },
    async set(key: string, value: string) {
      cache.writes++;
      cache.entries[key] = value;
    },
  };
  return cache;
}

const asChoice = (value: string | undefined): GemmChoice => {
  const { kernel, rowBlocks } = JSON.parse(value ?? 'null') as GemmChoice;
  return { kernel, rowBlocks };
};
const freshDir = () => mkdtempSync(join(tmpdir(), 'webgrad-tuning-'));

describe('GEMM autotune cache', () => {
  const backend = () => gpu() as WebGPUBackend;

  it("the run's start tuned and wrote the backend's choice under this adapter's key", () => {
    const file = join(process.env.WEBGRAD_CACHE_DIR!, 'tuning.json');
    const entries = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    const key = autotuneKey(backend());
    expect(key).to.contain(backend().adapterName);
    expect(Object.keys(entries)).to.deep.equal([key]);
    expect(describeChoice(asChoice(entries[key]))).to.equal(describeChoice(backend().matmulKernel));
  });

  it('takes a valid cached choice as it is, without tuning or writing', async () => {
    const choices = gemmChoicesFor(backend().device);
    for (const choice of choices) {
      const cache = memoryCache({ [autotuneKey(backend())]: JSON.stringify(choice) });
      expect(describeChoice(await autotuneGemm(backend(), cache))).to.equal(describeChoice(choice));
      expect(cache.writes).to.equal(0);
    }
  });

  for (const [what, value] of [
    ['a choice this device does not offer', '{"kernel":"matmul_subgroups","rowBlocks":9}'],
    ['an unknown kernel', '{"kernel":"matmul_magic","rowBlocks":1}'],
    ['a choice without its row blocks', '{"kernel":"matmul"}'],
    ['text that is not JSON', 'matmul_rows'],
  ]) {
    it(`tunes over ${what} and replaces it`, async () => {
      const key = autotuneKey(backend());
      const cache = memoryCache({ [key]: value });
      const choice = await autotuneGemm(backend(), cache);
      expect(describeChoice(choice)).to.equal(describeChoice(backend().matmulKernel)); // this process's tuned answer
      expect(cache.writes).to.equal(1);
      expect(asChoice(cache.entries[key])).to.deep.equal({ kernel: choice.kernel, rowBlocks: choice.rowBlocks });
    });
  }

  it("tunes as if nothing were cached when a cache's get or set throws", async () => {
    const broken: TuningCache = {
      get: () => {
        throw new Error('get failed');
      },
      set: () => Promise.reject(new Error('set failed')),
    };
    expect(describeChoice(await autotuneGemm(backend(), broken))).to.equal(describeChoice(backend().matmulKernel));
  });

  it('keys answers by adapter', () => {
    const other = Object.create(backend(), { adapterName: { value: 'another adapter' } }) as WebGPUBackend;
    expect(autotuneKey(other)).to.not.equal(autotuneKey(backend()));
    expect(autotuneKey(other)).to.contain('another adapter');
    expect(autotuneKey(other).split(' ').at(-1)).to.equal(autotuneKey(backend()).split(' ').at(-1)); // same kernels, same hash
  });

  describe('the file store', () => {
    it('keeps several keys in one JSON file, and overwrites a key', async () => {
      const dir = join(freshDir(), 'nested', 'webgrad');
      const cache = fileTuningCache(dir);
      expect(await cache.get('a')).to.equal(undefined);
      await cache.set('a', '1');
      await cache.set('b', '2');
      await cache.set('a', '3');
      expect([await cache.get('a'), await cache.get('b')]).to.deep.equal(['3', '2']);
      expect(JSON.parse(readFileSync(join(dir, 'tuning.json'), 'utf8'))).to.deep.equal({ a: '3', b: '2' });
    });

    it('reads a corrupt or foreign file as empty, and a write replaces it', async () => {
      const dir = freshDir(),
        cache = fileTuningCache(dir);
      for (const text of ['{"a": "1"', '[1, 2]', 'null', '{"a": 1}']) {
        writeFileSync(join(dir, 'tuning.json'), text);
        expect(await cache.get('a')).to.equal(undefined);
      }
      await cache.set('a', 'x');
      expect(JSON.parse(readFileSync(join(dir, 'tuning.json'), 'utf8'))).to.deep.equal({ a: 'x' });
    });

    it('passes over a directory it cannot create, without throwing', async () => {
      const blocker = join(freshDir(), 'a-file');
      writeFileSync(blocker, 'not a directory');
      const cache = fileTuningCache(join(blocker, 'webgrad'));
      await cache.set('a', '1');
      expect(await cache.get('a')).to.equal(undefined);
    });

    it('is the default in Node, in $WEBGRAD_CACHE_DIR', async () => {
      const saved = process.env.WEBGRAD_CACHE_DIR,
        dir = freshDir();
      try {
        process.env.WEBGRAD_CACHE_DIR = dir;
        await defaultTuningCache()!.set('k', 'v');
        expect(JSON.parse(readFileSync(join(dir, 'tuning.json'), 'utf8'))).to.deep.equal({ k: 'v' });
      } finally {
        process.env.WEBGRAD_CACHE_DIR = saved;
      }
    });
  });

  describe('the localStorage store', () => {
    it('keeps values under webgrad: keys', async () => {
      const items = new Map<string, string>();
      const storage = {
        getItem: (k: string) => items.get(k) ?? null,
        setItem: (k: string, v: string) => void items.set(k, v),
      } as Storage;
      const cache = localStorageTuningCache(storage);
      expect(await cache.get('gemm x')).to.equal(undefined);
      await cache.set('gemm x', '{}');
      expect(await cache.get('gemm x')).to.equal('{}');
      expect([...items.keys()]).to.deep.equal(['webgrad:gemm x']);
    });

    it('passes over a storage that refuses (quota, privacy mode)', async () => {
      const refuse = () => {
        throw new Error('QuotaExceededError');
      };
      const cache = localStorageTuningCache({ getItem: refuse, setItem: refuse } as unknown as Storage);
      await cache.set('k', 'v');
      expect(await cache.get('k')).to.equal(undefined);
    });
  });
});
