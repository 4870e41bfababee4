// The browser build: bundles @webgrad/core, @webgrad/webgpu and @webgrad/layers (their tsc output,
// shaders included through the generated module) with esbuild into ES modules under dist/web/:
// core.js, webgpu.js and layers.js share one chunk holding core, so the three import one engine
// (one backend registry) whether loaded by a <script type="module">, an import map or a bundler.
// Also bundles the browser tests' page scripts (tests/browser/*-checks.ts) into
// dist/web/tests/, with @webgrad/* left as bare imports for the page's import map to resolve to
// the library build. Fails if a Node built-in or the Node-only `webgpu` (Dawn) package would reach
// the bundle. Run after `tsc -b` (scripts/setup.mjs does both). Imports esbuild and Node built-ins.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
const library = await build({
  ...common,
  entryPoints: Object.fromEntries(packages.map((p) => [p, `@webgrad/${p}`])),
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
