// The course's classic experiments, one command each: `npm run lab -- <name>` runs one (or `all`),
// writes its figures as SVG to out/lab/<name>/, and prints a table of what it measured and the
// conclusion those numbers support. The experiments themselves are in lab/experiments.mjs (the browser
// demo's lab page, examples/web/lab.html, runs the same ones); this file gives them the digits from
// mnist-data.mjs and prints their progress.
//   npm run lab -- vanishing [--size full|tiny] [--backend webgpu|cpu] [--out out/lab]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { currentBackend, setBackend } from '@webgrad/core';
import '@webgrad/webgpu';
import { rerunWithStderrPipe } from '../scripts/stderr-pipe.mjs';
import { aliases, experiments } from './lab/experiments.mjs';
import { mnistSplit } from './mnist-data.mjs';

await rerunWithStderrPipe();

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    size: { type: 'string', default: 'full' },
    backend: { type: 'string', default: 'webgpu' },
    out: { type: 'string', default: 'out/lab' },
  },
});
const names = positionals[0] === 'all' ? Object.keys(experiments) : positionals.map((n) => aliases[n] ?? n);
const unknown = names.filter((n) => !(n in experiments));
if (names.length === 0 || unknown.length) {
  console.error(
    `${unknown.length ? `unknown experiment: ${unknown.join(', ')}; ` : ''}` +
      `usage: npm run lab -- <${Object.keys(experiments).join('|')}|all> [--size full|tiny] [--backend webgpu|cpu]`,
  );
  process.exit(2);
}
if (flags.size !== 'full' && flags.size !== 'tiny') throw new Error(`--size ${flags.size}: expected 'full' or 'tiny'`);
await setBackend(flags.backend);
const backend = currentBackend();
console.log(`backend: ${backend.describe?.() ?? backend.name}`);
for (const name of names) {
  const started = performance.now();
  const result = await experiments[name]({
    size: flags.size,
    mnist: async () => mnistSplit({ seed: 1 }),
    progress: (text) => console.log(`  ${name}: ${text}`),
  });
  const folder = join(flags.out, name);
  await mkdir(folder, { recursive: true });
  const files = [];
  for (const [file, svg] of Object.entries(result.figures)) {
    await writeFile(join(folder, file), svg);
    files.push(join(folder, file));
  }
  console.log(`\n== ${name} (${((performance.now() - started) / 1000).toFixed(1)} s) ==\n`);
  console.log(result.table);
  console.log(`\n${result.conclusion}\n`);
  console.log(`figures: ${files.join(', ')}`);
}
