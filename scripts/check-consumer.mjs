// The consumer check (`npm run check:consumer`): uses the three packages as an outside developer
// would. It packs them (`pnpm pack`, from the built dist/), installs the tarballs into two throwaway
// apps under the system's temporary folder — a Node app (ESM, @types/node) and a browser app (no
// @types/node, npm's flat node_modules) — and type-checks each app's use of the public API with
// `skipLibCheck: false` under TypeScript 5.9 (the repo's) and 7.0 (from the registry or the pnpm
// store), module `nodenext` and `bundler`, with and without the DOM lib and WebGPU's types. Then it
// bundles the browser app with esbuild (no Node built-in may reach it), trains a tiny model in the
// Node app on the WebGPU backend, runs each package README's first example there and the root README's
// custom kernel (as it is, passing the published harness, and with an off-by-one, failing it), loads the root
// README's import-map page, as written, in headless Chromium (then times a fresh profile's first
// setBackend('webgpu')). Installs prefer the pnpm store (`--prefer-offline`). Exits 1 on any failure,
// printing the errors. Flags: `--keep` (leave the apps, printing where), `--no-ts7`, `--no-train`
// (neither the training nor the README examples), `--no-browser`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
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
// npm's flat node_modules, which the README's import map assumes
writeFileSync(join(webApp, '.npmrc'), 'node-linker=hoisted\n');
writeFileSync(join(webApp, 'src/gpu.ts'), USES_DEVICE);
writeFileSync(join(nodeApp, 'src/gpu.ts'), USES_DEVICE);
writeFileSync(join(nodeApp, 'train.mjs'), TRAIN);
// The root README's custom-kernel example (tests/backend/swish-example.ts, which the README quotes):
// type-checked with each app, and run in the Node app as it is and with an off-by-one in its kernel.
const SWISH = readFileSync(join(root, 'tests/backend/swish-example.ts'), 'utf8');
for (const app of [nodeApp, webApp]) writeFileSync(join(app, 'src/swish.ts'), SWISH);
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
    // the example prints with console, which only the DOM lib or @types/node declares
    files: [
      'src/app.ts',
      ...(typed ? ['src/gpu.ts'] : []),
      ...(lib.includes('DOM') || types.includes('node') ? ['src/swish.ts'] : []),
    ],
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
  // The custom swish kernel passes the published harness; with an off-by-one it fails, naming the element.
  const swishVariants = [
    ['swish.mjs', SWISH, /swish passes checkKernel/],
    ['swish-off-by-one.mjs', SWISH.replace('if (i < params.size)', 'if (i + 1u < params.size)'), /element \d+ is NaN/],
  ];
  for (const [file, source, expected] of swishVariants) {
    writeFileSync(join(nodeApp, file), source);
    const ran = spawnSync('node', [file], { cwd: nodeApp, encoding: 'utf8' });
    const output = `${ran.stdout}${ran.stderr}`;
    const shouldFail = file !== 'swish.mjs';
    const ok = (ran.status !== 0) === shouldFail && expected.test(output);
    const said = output.match(expected)?.[0] ?? output.trim().split('\n').at(-1);
    say(`the README's custom kernel, ${file}: ${ok ? 'as expected' : 'WRONG'}: ${said} ${lap()}`);
    if (!ok) {
      failures++;
      console.log(output);
    }
  }
  // Each package README's first example, as a reader would paste it into an .mjs file.
  for (const name of PACKAGES) {
    const example = /```js\n([\s\S]*?)```/.exec(readFileSync(join(root, 'packages', name, 'README.md'), 'utf8'))?.[1];
    if (!example) fail(`packages/${name}/README.md has no \`\`\`js example`);
    writeFileSync(join(nodeApp, `readme-${name}.mjs`), example);
    const ran = spawnSync('node', [`readme-${name}.mjs`], { cwd: nodeApp, encoding: 'utf8' });
    const printed = ran.stdout.trim().replace(/\s+/g, ' ');
    say(`@webgrad/${name}'s README example: ${ran.status === 0 ? 'ran' : 'FAILED'}: ${printed.slice(0, 160)} ${lap()}`);
    if (ran.status !== 0) {
      failures++;
      console.log(ran.stderr);
    }
  }
}

if (!args.has('--no-browser')) failures += await checkImportMapPage();

say(`${failures ? `${failures} failures` : 'all passed'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (args.has('--keep')) say(`apps kept in ${work}`);
else rmSync(work, { recursive: true, force: true });
process.exitCode = failures ? 1 : 0;

function fail(message) {
  console.error(`[consumer] ${message}`);
  if (!args.has('--keep')) rmSync(work, { recursive: true, force: true });
  process.exit(1);
}

/**
 * Serves the browser app's folder on 127.0.0.1 and loads, in headless Chromium with WebGPU on (its
 * SwiftShader CPU adapter) and a fresh profile, the root README's import-map page as it is, then a
 * page that times the first setBackend('webgpu'). Returns the number of failures.
 */
async function checkImportMapPage() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const page = /```html\n([\s\S]*?importmap[\s\S]*?)```/.exec(readme)?.[1];
  if (!page) fail('the README has no ```html import-map example');
  writeFileSync(join(webApp, 'index.html'), `<!doctype html>\n<body>\n${page}</body>\n`);
  const map = /<script type="importmap">[\s\S]*?<\/script>/.exec(page)[0];
  const timing = `
    import { setBackend } from '@webgrad/core';
    import '@webgrad/webgpu';
    const started = performance.now();
    const backend = await setBackend('webgpu');
    const ms = performance.now() - started;
    document.body.textContent = JSON.stringify({ ms, adapter: backend.describe(), source: backend.matmulKernelSource });`;
  writeFileSync(
    join(webApp, 'start.html'),
    `<!doctype html>\n<body>\n${map}\n<script type="module">${timing}</script></body>\n`,
  );
  const types = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.mjs': 'text/javascript',
    '.map': 'application/json',
  };
  const server = createServer((request, response) => {
    const path = join(webApp, decodeURIComponent(new URL(request.url, 'http://x').pathname));
    if (!path.startsWith(webApp) || !existsSync(path)) {
      response.writeHead(404).end();
      return;
    }
    const type = types[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream';
    response.writeHead(200, { 'content-type': type }).end(readFileSync(path));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.WEBGRAD_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--no-first-run', '--disable-extensions', '--enable-unsafe-webgpu'],
  });
  let failed = 0;
  try {
    for (const [file, done] of [
      ['index.html', /loss \d/],
      ['start.html', /"ms"/],
    ]) {
      const context = await browser.newContext(); // a fresh profile each: nothing cached
      const tab = await context.newPage();
      const errors = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      tab.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
      await tab.goto(`${url}/${file}`);
      const text = await tab
        .waitForFunction((pattern) => new RegExp(pattern).test(document.body.innerText), done.source, {
          timeout: 120_000,
        })
        .then(() => tab.evaluate(() => document.body.innerText))
        .catch(() => `nothing: ${errors.join('; ') || 'no error reported'}`);
      const ok = done.test(text);
      if (file === 'start.html' && ok) {
        const { ms, adapter, source } = JSON.parse(text);
        say(
          `Chromium, a fresh profile: the first setBackend('webgpu') took ${ms.toFixed(0)} ms (${adapter}; GEMM: ${source}) ${lap()}`,
        );
      } else {
        say(`Chromium, the README's import-map page: ${ok ? text.trim() : `FAILED: ${text}`} ${lap()}`);
      }
      if (!ok) failed++;
      await context.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  return failed;
}
