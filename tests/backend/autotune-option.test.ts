// The GEMM autotune's `autotune` option and progress (packages/webgpu/src/gemm-autotune.ts, backend.ts):
// a start without tuning takes the cache's answer or the adapter class's default, times nothing and
// still multiplies right (against a float64 product computed here); a page starts that way by
// default (a child process with Dawn's GPU object as navigator.gpu stands in for one); a tuning run
// reports each of its steps. The tuning path itself is in tuning-cache.test.ts.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import {
  chooseGemm,
  defaultGemmChoice,
  describeChoice,
  gemmChoicesFor,
  isSoftwareAdapter,
  autotuneKey,
  WebGPUBackend,
  type AutotuneProgress,
  type GemmChoice,
  type TuningCache,
} from '@webgrad/webgpu';
import { expectClose, gpu } from '../helpers.js';

const DIST = new URL('../../packages/webgpu/dist/', import.meta.url).href;
const CORE_DIST = new URL('../../packages/core/dist/', import.meta.url).href;

/** An in-memory cache that counts its reads and writes. */
function countingCache(initial: Record<string, string> = {}) {
  const cache = {
    entries: { ...initial },
    gets: 0,
    sets: 0,
    async get(key: string) {
      cache.gets++;
      return cache.entries[key];
    },
    async set(key: string, value: string) {
      cache.sets++;
      cache.entries[key] = value;
    },
  };
  return cache satisfies TuningCache;
}

/** A device as gemmChoicesFor and defaultGemmChoice see one: its features and adapter info. */
function fakeDevice(info: Partial<GPUAdapterInfo>, subgroups: boolean): GPUDevice {
  const adapterInfo = { vendor: '', architecture: '', device: '', description: '', ...info };
  return { features: new Set(subgroups ? ['subgroups'] : []), adapterInfo } as unknown as GPUDevice;
}

// m×k · k×n with sizes that fill no tile evenly, and the float64 product.
const [M, K, N] = [37, 53, 29];
const A = Array.from({ length: M * K }, (_, i) => (((i * 7919) % 23) - 11) / 8);
const B = Array.from({ length: K * N }, (_, i) => (((i * 104729) % 19) - 9) / 8);
function reference(): number[] {
  const out = new Array<number>(M * N).fill(0);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      for (let p = 0; p < K; p++) out[i * N + j] += A[i * K + p] * B[p * N + j];
    }
  }
  return out;
}

/**
 * A child process that starts a backend with `options` (as a page when `page` is set: navigator.gpu
 * is Dawn's GPU object), multiplies A·B on it and prints what it chose, how, and the product.
 */
function startInChild(options: string, page: boolean): Record<string, unknown> {
  const child = `
    import { createRequire } from 'node:module';
    import { pathToFileURL } from 'node:url';
    import { matmul, registerBackend, setBackend, tensor } from '${CORE_DIST}index.js';
    import { createWebGPUBackend, defaultGemmChoice, describeChoice } from '${DIST}index.js';
    let dawnGpu;
    if (${page}) {
      const dawn = await import(pathToFileURL(createRequire('${DIST}index.js').resolve('webgpu')).href);
      dawnGpu = dawn.create([]); // kept referenced: Dawn needs its instance alive
      globalThis.navigator = { gpu: dawnGpu };
    }
    const cache = { gets: 0, sets: 0, async get() { cache.gets++; }, async set() { cache.sets++; } };
    const progress = [];
    const started = performance.now();
    const backend = await createWebGPUBackend({ tuningCache: cache, onAutotuneProgress: (p) => progress.push(p), ...${options} });
    const startMs = performance.now() - started;
    registerBackend('started', () => backend);
    await setBackend('started');
    const product = matmul(tensor(${JSON.stringify(A)}, [${M}, ${K}]), tensor(${JSON.stringify(B)}, [${K}, ${N}]));
    console.log(JSON.stringify({
      choice: describeChoice(backend.matmulKernel),
      defaultChoice: describeChoice(defaultGemmChoice(backend.device)),
      source: backend.matmulKernelSource,
      compileAsync: backend.commands.compileAsync,
      progress: progress.length, gets: cache.gets, sets: cache.sets, startMs,
      values: [...(await product.data())],
    }));
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8', timeout: 90_000 });
  const lines = run.stdout.trim().split('\n');
  if (run.status !== 0 || !lines.at(-1)?.startsWith('{')) throw new Error(`the child failed: ${run.stderr}`);
  return JSON.parse(lines.at(-1)!) as Record<string, unknown>;
}

describe('GEMM autotune option', () => {
  const backend = () => gpu() as WebGPUBackend;
  /** The live backend under another adapter name: its own cache key, so this process's tuned answer stays apart. */
  const elsewhere = (cache: TuningCache) =>
    Object.create(backend(), {
      adapterName: { value: 'autotune-option test adapter' },
      tuningCache: { value: cache },
    }) as WebGPUBackend;

  it('takes the default per adapter class without tuning: the tiled kernel on a GPU, a CPU kernel on a CPU adapter', () => {
    const gpuDevice = fakeDevice({ vendor: 'nvidia', architecture: 'ampere', subgroupMinSize: 32 }, true);
    const lavapipe = fakeDevice({ vendor: 'mesa', architecture: 'software', subgroupMinSize: 8 }, true);
    const swiftShader = fakeDevice({ vendor: 'google', architecture: 'swiftshader', subgroupMinSize: 4 }, true);
    const fallback = fakeDevice({ vendor: 'intel', isFallbackAdapter: true }, false);
    expect(describeChoice(defaultGemmChoice(gpuDevice))).to.equal('matmul');
    expect(describeChoice(defaultGemmChoice(lavapipe))).to.equal('matmul_texture');
    expect(describeChoice(defaultGemmChoice(swiftShader))).to.equal('matmul_rows');
    expect(describeChoice(defaultGemmChoice(fallback))).to.equal('matmul_rows');
    expect([gpuDevice, lavapipe, swiftShader, fallback].map((d) => isSoftwareAdapter(d.adapterInfo))).to.deep.equal([
      false,
      true,
      true,
      true,
    ]);
    const live = backend().device;
    expect(gemmChoicesFor(live).map(describeChoice)).to.include(describeChoice(defaultGemmChoice(live)));
  });

  it("autotune false: the default, the cache neither read nor written; 'cached': the cache's answer, else the default", async () => {
    const untouched = countingCache();
    const off = await chooseGemm(backend(), untouched, { mode: false });
    expect([describeChoice(off.choice), off.source]).to.deep.equal([
      describeChoice(defaultGemmChoice(backend().device)),
      'default',
    ]);
    expect([untouched.gets, untouched.sets]).to.deep.equal([0, 0]);

    const target = elsewhere(countingCache());
    const rows: GemmChoice = { kernel: 'matmul_rows', rowBlocks: 1 };
    const holding = countingCache({ [autotuneKey(target)]: JSON.stringify(rows) });
    const cached = await chooseGemm(target, holding, { mode: 'cached' });
    expect([describeChoice(cached.choice), cached.source, holding.sets]).to.deep.equal(['matmul_rows', 'cached', 0]);

    const empty = countingCache();
    let steps = 0;
    const fallback = await chooseGemm(target, empty, { mode: 'cached', onProgress: () => steps++ });
    expect([describeChoice(fallback.choice), fallback.source]).to.deep.equal([
      describeChoice(defaultGemmChoice(backend().device)),
      'default',
    ]);
    expect([empty.gets, empty.sets, steps]).to.deep.equal([1, 0, 0]);
  });

  it('backend.autotune() times every choice, reports each step in order, switches to the winner and caches it', async function () {
    this.timeout(120_000);
    const cache = countingCache();
    const target = elsewhere(cache);
    const before = backend().matmulKernel;
    const events: AutotuneProgress[] = [];
    try {
      const choice = await target.autotune((p) => events.push(p));
      const offered = gemmChoicesFor(backend().device).map(describeChoice);
      expect(offered).to.include(describeChoice(choice));
      expect(describeChoice(target.matmulKernel)).to.equal(describeChoice(choice));
      expect(target.matmulKernelSource).to.equal('tuned');
      expect(cache.sets).to.equal(1);
      expect(JSON.parse(cache.entries[autotuneKey(target)])).to.include({ kernel: choice.kernel });
      const total = 1 + offered.length + 8;
      expect(events.map((e) => e.done)).to.deep.equal(Array.from({ length: total }, (_, i) => i + 1));
      expect(events.every((e) => e.total === total)).to.equal(true);
      expect(events.map((e) => e.step)).to.deep.equal([
        'compile',
        ...offered.map(() => 'screen'),
        ...Array(8).fill('final'),
      ]);
      expect(events.slice(1, 1 + offered.length).map((e) => e.choice)).to.deep.equal(offered);
      expect(events.slice(1).every((e) => (e.ms ?? 0) > 0)).to.equal(true);
    } finally {
      backend().matmulKernel = before; // the copy shares the live backend's context
    }
  });

  it('autotune false in Node: starts on the default without tuning, and its products are right', function () {
    this.timeout(120_000);
    const started = startInChild('{ autotune: false }', false);
    expect(started).to.include({ source: 'default', progress: 0, gets: 0, sets: 0 });
    expect(started.choice).to.equal(started.defaultChoice);
    expectClose(started.values as number[], reference(), { rtol: 1e-5, atol: 1e-4 }, `A·B on ${started.choice}`);
  });

  it('a page starts without tuning by default (nothing cached: the default), compiles asynchronously, and multiplies right', function () {
    this.timeout(120_000);
    const started = startInChild('{}', true);
    expect(started).to.include({ source: 'default', progress: 0, gets: 1, sets: 0, compileAsync: true });
    expect(started.choice).to.equal(started.defaultChoice);
    expectClose(started.values as number[], reference(), { rtol: 1e-5, atol: 1e-4 }, `A·B on ${started.choice}`);
    console.log(`      a page's start without tuning, device included: ${(started.startMs as number).toFixed(0)} ms`);
  });
});
