// The browser build: bundles @webgrad/core, @webgrad/webgpu and @webgrad/layers (their tsc output,
// shaders included through the generated module) with esbuild into ES modules under dist/web/:
// core.js, webgpu.js and layers.js share one chunk holding core, so the three import one engine
// (one backend registry) whether loaded by a <script type="module">, an import map or a bundler.
// Also bundles the browser tests' page scripts (tests/browser/*-checks.ts) into
// dist/web/tests/, with @webgrad/* (and the harness, @webgrad/*/testing) left as bare imports for the page's import map to resolve to
// the library build. Fails if a Node built-in or the Node-only `webgpu` (Dawn) package would reach
// the bundle. Prints each output's size, the default bundle's total (what a page that imports the three
// packages loads up front; chunks loaded only on first use, such as Graphviz, are listed apart), and
// what of it comes from wgsl_reflect, which only a user's own kernels load. Run after `tsc -b`
// (scripts/setup.mjs does both). Imports esbuild and Node built-ins.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/web');
const packages = ['core', 'webgpu', 'layers'];

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
};

/** Every input of the build that is Node-only: built-ins or Dawn's package. */
function nodeOnlyInputs(metafile) {
  return Object.keys(metafile.inputs).filter(
    (p) => p.startsWith('node:') || /node_modules\/(\.pnpm\/)?webgpu[@/]/.test(p),
  );
}

rmSync(outdir, { recursive: true, force: true });
// the kernel harness (@webgrad/core/testing, @webgrad/webgpu/testing) too, for testing kernels in a page
const testing = { 'core-testing': '@webgrad/core/testing', 'webgpu-testing': '@webgrad/webgpu/testing' };
const library = await build({
  ...common,
  entryPoints: { ...Object.fromEntries(packages.map((p) => [p, `@webgrad/${p}`])), ...testing },
  splitting: true,
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
});
const tests = await build({
  ...common,
  entryPoints: {
    'kernel-checks': 'tests/browser/kernel-checks.ts',
    'storage-checks': 'tests/browser/storage-checks.ts',
  },
  outdir: join(outdir, 'tests'),
  external: packages.map((p) => `@webgrad/${p}`),
});
const leaked = [...nodeOnlyInputs(library.metafile), ...nodeOnlyInputs(tests.metafile)];
if (leaked.length) throw new Error(`build-web: Node-only modules reached the browser bundle: ${leaked.join(', ')}`);

/** The outputs an entry loads before it runs: itself and its static imports, transitively. */
function staticClosure(outputs, entry, seen = new Set()) {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const imported of outputs[entry].imports) {
    if (imported.kind === 'import-statement' && outputs[imported.path]) staticClosure(outputs, imported.path, seen);
  }
  return seen;
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const outputs = Object.fromEntries(Object.entries(library.metafile.outputs).filter(([file]) => file.endsWith('.js')));
const upFront = new Set();
for (const p of packages) staticClosure(outputs, relative(root, join(outdir, `${p}.js`)), upFront);
const reflectBytes = (files) =>
  files.reduce(
    (sum, file) =>
      sum +
      Object.entries(outputs[file].inputs)
        .filter(([input]) => input.includes('wgsl_reflect'))
        .reduce((s, [, { bytesInOutput }]) => s + bytesInOutput, 0),
    0,
  );
const total = [...upFront].reduce((sum, file) => sum + outputs[file].bytes, 0);
for (const [file, { bytes }] of Object.entries(outputs)) {
  console.log(
    `build-web: ${relative(root, file)} ${kb(bytes)}${upFront.has(file) ? '' : ' (not in the default bundle)'}`,
  );
}
console.log(
  `build-web: the default bundle (core + webgpu + layers) is ${kb(total)}, of which wgsl_reflect ${kb(reflectBytes([...upFront]))}; ` +
    `wgsl_reflect in chunks loaded on first use: ${kb(reflectBytes(Object.keys(outputs).filter((f) => !upFront.has(f))))}`,
);
