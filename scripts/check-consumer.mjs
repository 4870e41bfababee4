// The consumer check (`npm run check:consumer`): uses the three packages as an outside developer
// would. It packs them (`pnpm pack`, from the built dist/), installs the tarballs into two throwaway
// apps under the system's temporary folder — a Node app (ESM, @types/node) and a browser app (no
// @types/node) — and type-checks each app's use of the public API with `skipLibCheck: false` under
// every TypeScript it has: 5.9 (the repo's) and, when the registry or the pnpm store has it, 7.0. The
// matrix is module `nodenext` with and without the DOM lib, and `bundler` with and without it. Then it
// bundles the browser app with esbuild (no Node built-in may reach it) and, unless `--no-train`,
// trains a tiny model in the Node app on the WebGPU backend with the autotune off. Installs prefer the
// pnpm store (`--prefer-offline`), so a machine that ran the set-up needs no network except for
// TypeScript 7. Exits 1 on the first failure, printing the errors. Flags: `--keep` (leave the apps,
// printing where), `--no-ts7`, `--no-train`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM = 'pnpm@10.34.8';
const TS5 = '5.9.3';
const TS7 = '7.0.2';
const args = new Set(process.argv.slice(2));
const say = (msg) => console.log(`[consumer] ${msg}`);
const started = performance.now();
let lastLap = started;
/** Seconds since the last lap, for the phases' timings. */
function lap() {
  const now = performance.now();
  const text = `(${((now - lastLap) / 1000).toFixed(1)} s)`;
  lastLap = now;
  return text;
}

function run(cmd, argv, cwd, { quiet = false } = {}) {
  const result = spawnSync(cmd, argv, { cwd, encoding: 'utf8', stdio: quiet ? 'pipe' : 'inherit' });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}
function pnpm(argv, cwd) {
  return run('npx', ['--yes', PNPM, ...argv], cwd, { quiet: true });
}

const PACKAGES = ['core', 'webgpu', 'layers'];
for (const name of PACKAGES) {
  if (!existsSync(join(root, 'packages', name, 'dist/index.d.ts'))) {
    throw new Error(`packages/${name}/dist is not built: run \`node scripts/setup.mjs\` (or \`npm run build\`) first`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'webgrad-consumer-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
for (const name of PACKAGES) {
  const packed = pnpm(['pack', '--pack-destination', tarballs], join(root, 'packages', name));
  if (!packed.ok) fail(`pnpm pack of @webgrad/${name} failed:\n${packed.output}`);
}
const tarball = (name) =>
  join(
    tarballs,
    readdirSync(tarballs).find((f) => f.startsWith(`webgrad-${name}-`)),
  );
say(`packed ${readdirSync(tarballs).join(', ')} ${lap()}`);

// What a consumer writes: the public API of all three packages, as the READMEs show it.
const USES_API = `
import { grad, matmul, registerBackend, relu, setBackend, sum, tensor, type Tensor } from '@webgrad/core';
import { createWebGPUBackend, type AutotuneProgress, type WebGPUBackend } from '@webgrad/webgpu';
import { adam, dense, loadModel, sequential, type History } from '@webgrad/layers';

export async function start(onProgress: (p: AutotuneProgress) => void): Promise<WebGPUBackend> {
  registerBackend('webgpu', () => createWebGPUBackend({ autotune: 'cached', onAutotuneProgress: onProgress }));
  return (await setBackend('webgpu')) as WebGPUBackend;
}

export async function train(): Promise<History> {
  const model = sequential([dense({ units: 8, activation: 'relu', inputShape: [2] }), dense({ units: 1 })]);
  model.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
  const x: Tensor = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  return model.fit(x, tensor([[0], [1], [1], [0]]), { epochs: 2, batchSize: 4 });
}

export function gradient(): Tensor[] {
  const x = tensor([[1, 2], [3, 4]]);
  return grad((w: Tensor) => sum(relu(matmul(x, w))))(tensor([[0.5], [-1]]));
}

export const load = (url: string) => loadModel(url);
`;

// Where the app has WebGPU's types, the backend's device is the real GPUDevice.
const USES_DEVICE = `
import type { WebGPUBackend } from '@webgrad/webgpu';

export async function deviceFacts(backend: WebGPUBackend): Promise<number> {
  await backend.device.queue.onSubmittedWorkDone();
  const bytes: number = backend.device.limits.maxBufferSize;
  return bytes;
}
`;

// Runs in the Node app (plain ESM, as published): a tiny model trained on the GPU, tuning skipped.
const TRAIN = `
import { registerBackend, setBackend, tensor } from '@webgrad/core';
import { createWebGPUBackend } from '@webgrad/webgpu';
import { adam, dense, sequential } from '@webgrad/layers';

registerBackend('webgpu', () => createWebGPUBackend({ autotune: false }));
const backend = await setBackend('webgpu');
const model = sequential([dense({ units: 16, activation: 'tanh', inputShape: [2] }), dense({ units: 1, activation: 'sigmoid' })]);
model.compile({ optimizer: adam({ learningRate: 0.1 }), loss: 'binaryCrossentropy' });
const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = tensor([[0], [1], [1], [0]]);
const history = await model.fit(x, y, { epochs: 150, batchSize: 4, verbose: 0 });
const losses = history.history.loss;
console.log(\`\${backend.describe()}: loss \${losses[0].toFixed(3)} -> \${losses.at(-1).toFixed(3)}\`);
if (!(losses.at(-1) < losses[0] / 2)) process.exit(1);
`;

const overrides = Object.fromEntries(PACKAGES.map((name) => [`@webgrad/${name}`, `file:${tarball(name)}`]));
const withTs7 = !args.has('--no-ts7');

function makeApp(name, extraDeps) {
  const dir = join(work, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const manifest = {
    name,
    private: true,
    type: 'module',
    dependencies: overrides,
    devDependencies: { typescript: TS5, ...extraDeps },
    pnpm: { overrides },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'src/app.ts'), USES_API);
  return dir;
}

function install(dir, ts7) {
  const deps = ts7 ? [`typescript7@npm:typescript@${TS7}`] : [];
  const first = pnpm(['install', '--prefer-offline', '--reporter=silent'], dir);
  if (!first.ok) fail(`pnpm install in ${dir} failed:\n${first.output}`);
  if (!deps.length) return false;
  const added = pnpm(['add', '--prefer-offline', '--reporter=silent', '-D', ...deps], dir);
  if (!added.ok) say(`TypeScript ${TS7} could not be installed (no network and not in the pnpm store): not tested`);
  return added.ok;
}

const nodeApp = makeApp('node-app', { '@types/node': '20.19.43' });
const webApp = makeApp('web-app', { '@webgpu/types': '0.1.74' });
writeFileSync(join(webApp, 'src/gpu.ts'), USES_DEVICE);
writeFileSync(join(nodeApp, 'src/gpu.ts'), USES_DEVICE);
writeFileSync(join(nodeApp, 'train.mjs'), TRAIN);
const hasTs7 = new Set([nodeApp, webApp].filter((app) => install(app, withTs7)));
say(`installed the tarballs into a Node app and a browser app ${lap()}`);

// [label, app, module, lib, types, TypeScript versions, whether the app has WebGPU's types]: with
// them (TypeScript 7's DOM lib, or @webgpu/types on 5.9: the two together clash, webgrad or not),
// src/gpu.ts also uses the device through the backend, fully typed.
const configs = [
  ['nodenext, @types/node, no DOM', nodeApp, 'nodenext', ['ES2022'], ['node'], [5, 7], false],
  ['nodenext, @types/node, DOM', nodeApp, 'nodenext', ['ES2022', 'DOM'], ['node'], [5], false],
  ['nodenext, @types/node, DOM', nodeApp, 'nodenext', ['ES2022', 'DOM'], ['node'], [7], true],
  ['bundler, DOM, no @types/node', webApp, 'bundler', ['ES2022', 'DOM'], [], [5], false],
  ['bundler, DOM, no @types/node', webApp, 'bundler', ['ES2022', 'DOM'], [], [7], true],
  ['bundler, DOM, @webgpu/types', webApp, 'bundler', ['ES2022', 'DOM'], ['@webgpu/types'], [5], true],
  ['bundler, no DOM, no @types/node', webApp, 'bundler', ['ES2022'], [], [5, 7], false],
];
const compilers = { 5: [TS5, 'typescript'], 7: [TS7, 'typescript7'] };
let failures = 0;
for (const [i, [label, app, module, lib, types, versions, typed]] of configs.entries()) {
  const bundler = module === 'bundler';
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: bundler ? 'esnext' : 'nodenext',
      moduleResolution: bundler ? 'bundler' : 'nodenext',
      lib,
      types,
      strict: true,
      noEmit: true,
      skipLibCheck: false,
    },
    files: ['src/app.ts', ...(typed ? ['src/gpu.ts'] : [])],
  };
  const file = join(app, `tsconfig.${i}.json`);
  writeFileSync(file, `${JSON.stringify(tsconfig, null, 2)}\n`);
  for (const [version, folder] of versions.map((v) => compilers[v])) {
    if (version === TS7 && !hasTs7.has(app)) continue;
    const tsc = join(app, 'node_modules', folder, 'bin/tsc');
    const checked = run('node', [tsc, '-p', file], app, { quiet: true });
    const errors = (checked.output.match(/error TS\d+/g) ?? []).length;
    const what = `${label}${typed ? ', the device typed' : ''}`;
    say(`TypeScript ${version}, ${what}: ${checked.ok ? '0 errors' : `${errors} errors`} ${lap()}`);
    if (!checked.ok) {
      failures++;
      console.log(checked.output.split('\n').slice(0, 40).join('\n'));
    }
  }
}

// The browser app bundled as a page would be: nothing from Node may be imported statically.
const bundled = join(webApp, 'bundle.js');
const esbuild = run(
  join(root, 'node_modules/.bin/esbuild'),
  ['src/app.ts', '--bundle', '--format=esm', '--platform=browser', `--outfile=${bundled}`, '--log-level=error'],
  webApp,
  { quiet: true },
);
if (!esbuild.ok) {
  failures++;
  console.log(esbuild.output);
} else {
  say(`the browser app bundles with esbuild (--platform=browser) ${lap()}`);
}

if (!args.has('--no-train')) {
  const trained = spawnSync('node', ['train.mjs'], { cwd: nodeApp, encoding: 'utf8' });
  say(`trained in the Node app: ${trained.stdout.trim()} ${lap()}`);
  if (trained.status !== 0) {
    failures++;
    console.log(trained.stderr);
  }
}

say(`${failures ? `${failures} failures` : 'all passed'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (args.has('--keep')) say(`apps kept in ${work}`);
else rmSync(work, { recursive: true, force: true });
process.exitCode = failures ? 1 : 0;

function fail(message) {
  console.error(`[consumer] ${message}`);
  if (!args.has('--keep')) rmSync(work, { recursive: true, force: true });
  process.exit(1);
}
