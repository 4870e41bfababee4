// `npm run mutants`: the mutation run, on demand and never in CI. Two parts, each timed:
//   ts    Stryker over packages/core/src/ops/*.ts and packages/layers/src/training.ts (stryker.config.mjs),
//         reports/mutation/typescript.json;
//   wgsl  the scripted WGSL mutants (scripts/mutants/wgsl.mjs), reports/mutation/wgsl.json.
//
//   npm run mutants                 both parts
//   npm run mutants -- ts           Stryker only; WEBGRAD_MUTATE=a.ts,b.ts narrows the files mutated
//   npm run mutants -- wgsl [ids]   the WGSL mutants only (ids: substrings of mutant ids)
//
// Stryker's knobs, as environment variables: WEBGRAD_MUTATE (files, comma-separated, `file:from-to`
// for lines), WEBGRAD_MUTANT_TESTS (test files), WEBGRAD_MUTANT_WORKERS (default 2),
// WEBGRAD_MUTANT_TIMEOUT_MS (default 20000), WEBGRAD_MUTANTS_STATIC=1 (also run the static mutants),
// WEBGRAD_MUTANTS_INCREMENTAL=1 (reuse reports/stryker-incremental.json).
//
// Both parts load the packages from src (tsx path mapping, scripts/mutants/tsconfig.src.json), so
// neither rebuilds dist. Stryker's mocha runner needs mocha12-compat.cjs preloaded (see its header).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const [part = 'all', ...rest] = process.argv.slice(2);
if (!['all', 'ts', 'wgsl'].includes(part)) {
  console.error(`npm run mutants: unknown part '${part}'; expected ts, wgsl or nothing (both)`);
  process.exit(2);
}

const preload = `--require ${join(root, 'scripts/mutants/mocha12-compat.cjs')}`;
const env = {
  ...process.env,
  NODE_OPTIONS: [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' '),
};

const minutes = (ms) => `${(ms / 60_000).toFixed(1)} min`;
const timings = [];

function runPart(name, command, args) {
  const began = Date.now();
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  timings.push(`${name}: exit ${result.status ?? result.signal}, ${minutes(Date.now() - began)}`);
  return result.status ?? 1;
}

let failed = 0;
if (part === 'all' || part === 'ts') {
  failed |= runPart('typescript (Stryker)', process.execPath, [
    join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js'),
    'run',
    ...rest,
  ]);
}
if (part === 'all' || part === 'wgsl') {
  failed |= runPart('wgsl', process.execPath, [join(root, 'scripts/mutants/wgsl.mjs'), ...rest]);
}
console.log(`\nnpm run mutants: ${timings.join('; ')}`);
process.exit(failed ? 1 : 0);
