// The WGSL half of `npm run mutants`: plants each mutant of wgsl-list.mjs in its shader, one at a time,
// re-bundles the shaders, runs the mutant's test files, and records it killed (a test failed) or
// survived, then restores the shader, always: in a finally, on SIGINT/SIGTERM, and checked with
// `git diff --quiet -- shaders` at the end. The tests load the packages from src through tsx's path
// mapping (TSX_TSCONFIG_PATH=scripts/mutants/tsconfig.src.json), so re-bundling shaders.ts is the
// whole rebuild: no tsc between mutants.
//
//   node scripts/mutants/wgsl.mjs [--check] [--no-baseline] [--timeout=SECONDS] [id-substring ...]
//
// --check only verifies that every mutant's search text occurs exactly once; the baseline runs every
// mapped test file once unmutated first (a mutant "killed" by a test that already fails proves
// nothing). Writes reports/mutation/wgsl.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WGSL_MUTANTS } from './wgsl-list.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const given = args.find((a) => a.startsWith(`${name}=`));
  return given ? Number(given.slice(name.length + 1)) : fallback;
};
const filters = args.filter((a) => !a.startsWith('--'));
const timeoutSeconds = option('--timeout', 600);
const mutants = filters.length ? WGSL_MUTANTS.filter((m) => filters.some((f) => m.id.includes(f))) : WGSL_MUTANTS;

const env = { ...process.env, TSX_TSCONFIG_PATH: join(root, 'scripts/mutants/tsconfig.src.json') };
const MOCHA = [
  join(root, 'node_modules/mocha/bin/mocha.js'),
  '--no-config',
  '--node-option',
  'import=tsx',
  '--require',
  'tests/setup.ts',
  '--timeout',
  '120000',
  '--exit',
  '--bail',
  '--reporter',
  'dot',
];

function occurrences(text, search) {
  let count = 0;
  for (let at = text.indexOf(search); at >= 0; at = text.indexOf(search, at + 1)) count++;
  return count;
}

function checkList() {
  const problems = [];
  const ids = new Set();
  for (const m of WGSL_MUTANTS) {
    if (ids.has(m.id)) problems.push(`${m.id}: duplicate id`);
    ids.add(m.id);
    const count = occurrences(readFileSync(join(root, m.file), 'utf8'), m.search);
    if (count !== 1) problems.push(`${m.id}: search text occurs ${count} times in ${m.file}, expected once`);
    if (m.search === m.replace) problems.push(`${m.id}: replacement equals the search text`);
  }
  return problems;
}

const bundleShaders = () => {
  const result = spawnSync(process.execPath, [join(root, 'scripts/bundle-shaders.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('scripts/bundle-shaders.mjs failed');
};

// The shader file currently mutated and its original text, for the signal handlers.
let planted;

function restore() {
  if (!planted) return;
  writeFileSync(join(root, planted.file), planted.original);
  planted = undefined;
  bundleShaders();
}

let child;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    restore();
    console.error(`\nwgsl mutants: stopped by ${signal}; shaders restored`);
    process.exit(130);
  });
}

/** Runs mocha on files (with an optional grep) in its own process group; resolves with its outcome. */
function runTests(files, grep) {
  return new Promise((resolve) => {
    const started = Date.now();
    const output = [];
    child = spawn(process.execPath, [...MOCHA, ...(grep ? ['--grep', grep] : []), ...files], {
      cwd: root,
      env,
      detached: true,
    });
    child.stdout.on('data', (d) => output.push(d));
    child.stderr.on('data', (d) => output.push(d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child = undefined;
      const text = Buffer.concat(output).toString('utf8');
      resolve({ code, signal, text, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** The first lines of mocha's first failure, to say what killed a mutant. */
function firstFailure(text) {
  const at = text.search(/\n\s+1\) /);
  if (at < 0) return text.trim().split('\n').slice(-3).join(' ').slice(0, 300);
  return text
    .slice(at)
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 4)
    .join(' | ')
    .slice(0, 300);
}

const passCount = (text) => Number(/(\d+) passing/.exec(text)?.[1] ?? 0);

async function main() {
  const problems = checkList();
  if (problems.length) {
    console.error(`wgsl mutants: the list is stale:\n  ${problems.join('\n  ')}`);
    process.exit(2);
  }
  if (flag('--check')) {
    console.log(`wgsl mutants: all ${WGSL_MUTANTS.length} search texts occur exactly once`);
    return;
  }
  if (spawnSync('git', ['diff', '--quiet', '--', 'shaders'], { cwd: root }).status !== 0) {
    console.error(
      'wgsl mutants: shaders/ has uncommitted changes; commit or stash them first ' +
        '(the run restores to the working copy and checks it against git)',
    );
    process.exit(2);
  }
  const began = Date.now();
  bundleShaders();
  if (!flag('--no-baseline')) {
    const files = [...new Set(mutants.flatMap((m) => m.tests))];
    console.log(`wgsl mutants: baseline run of ${files.length} test files unmutated`);
    const baseline = await runTests(files);
    if (baseline.code !== 0) {
      console.error(
        `wgsl mutants: the unmutated baseline fails, so no kill would mean anything:\n${firstFailure(baseline.text)}`,
      );
      process.exit(1);
    }
    console.log(`wgsl mutants: baseline passes (${passCount(baseline.text)} tests, ${baseline.seconds.toFixed(0)} s)`);
  }
  const results = [];
  try {
    for (const [index, m] of mutants.entries()) {
      const path = join(root, m.file);
      const original = readFileSync(path, 'utf8');
      let outcome;
      try {
        planted = { file: m.file, original };
        writeFileSync(path, original.replace(m.search, m.replace));
        bundleShaders();
        outcome = await runTests(m.tests, m.grep);
      } finally {
        restore();
      }
      const timedOut = outcome.signal === 'SIGKILL';
      const ran = passCount(outcome.text);
      const status =
        outcome.code === 0 ? (ran > 0 ? 'survived' : 'no tests') : timedOut ? 'killed (timeout)' : 'killed';
      const result = {
        id: m.id,
        file: m.file,
        status,
        seconds: outcome.seconds,
        why: m.why,
        tests: m.tests,
        grep: m.grep,
        killedBy: status.startsWith('killed') ? firstFailure(outcome.text) : undefined,
      };
      results.push(result);
      const killed = results.filter((r) => r.status.startsWith('killed')).length;
      console.log(
        `[${index + 1}/${mutants.length}] ${status.padEnd(16)} ${m.id} ` +
          `(${outcome.seconds.toFixed(0)} s; ${killed}/${results.length} killed so far)`,
      );
    }
  } finally {
    restore();
    bundleShaders();
  }
  report(results, (Date.now() - began) / 1000);
  if (spawnSync('git', ['diff', '--quiet', '--', 'shaders'], { cwd: root }).status !== 0) {
    console.error('wgsl mutants: shaders/ differs from git after the run; something was not restored');
    process.exit(3);
  }
}

function report(results, seconds) {
  const killed = results.filter((r) => r.status.startsWith('killed'));
  const survivors = results.filter((r) => !r.status.startsWith('killed'));
  const width = Math.max(...results.map((r) => r.id.length));
  console.log('\nmutant'.padEnd(width + 2) + 'status            seconds');
  for (const r of results) {
    console.log(`${r.id.padEnd(width + 1)} ${r.status.padEnd(17)} ${r.seconds.toFixed(0).padStart(7)}`);
  }
  const ratio = results.length ? (100 * killed.length) / results.length : 0;
  console.log(
    `\nWGSL mutants killed: ${killed.length}/${results.length} (${ratio.toFixed(1)}%) in ${(seconds / 60).toFixed(1)} min`,
  );
  if (survivors.length) {
    console.log('\nsurvivors (the bug each plants, and the tests that missed it):');
    for (const r of survivors) {
      console.log(`  ${r.id} [${r.file}]: ${r.why}; ran ${r.tests.join(', ')}${r.grep ? ` --grep '${r.grep}'` : ''}`);
    }
  }
  const out = join(root, 'reports/mutation/wgsl.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ killed: killed.length, total: results.length, seconds, results }, null, 2)}\n`,
  );
  console.log(`\nwritten: ${out}`);
}

await main();
