// `npm run bench`: webgrad against TF.js 4.22 (webgpu on the same Dawn adapter, wasm, cpu) in one
// run. Every framework × case runs in its own child process (bench/case.mjs), one after another so
// they never share the CPUs; the raw Dawn dispatch floor is measured inside the WebGPU frameworks'
// kernels cases, alternating with their small-op runs. Prints one table
// (median, min–max of the timed runs, and webgrad's gain over each tfjs backend), checks the issue's
// targets, and writes every sample to bench/results.json. Options:
//   node bench/run.mjs [--frameworks webgrad,tfjs-webgpu,...] [--cases kernels,mlp,mlp-custom,autoencoder,lstm,cnn,cnn-im2col]
//   (the generative cases vae and dcgan and the graph case run only when named in --cases)
//     [--processes 3] [--out file] [--chart file.svg]
// A case with a peak RSS row (mlp, cnn, lstm, gru and the memory floor) runs in `--processes`
// processes, taking turns with the other frameworks' (webgrad, tfjs-webgpu, tfjs-wasm, webgrad, ...):
// a process's peak RSS is one sample, so that row is a median of processes, and the timed rows pool
// every process's samples, so a ratio between frameworks compares runs interleaved over the same
// minutes of machine load (`--processes 3` for the recurrent cases' targets).
// and draws webgrad's gains as a bar chart (bench/results.svg). Imports Node built-ins, table.mjs and chart.mjs.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gainChart } from './chart.mjs';
import { checkTargets, gainsOf, renderTable } from './table.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: flags } = parseArgs({
  options: {
    frameworks: { type: 'string', default: 'webgrad,tfjs-webgpu,tfjs-wasm,tfjs-cpu' },
    cases: { type: 'string', default: 'kernels,mlp,mlp-custom,autoencoder,lstm,cnn,cnn-im2col' },
    out: { type: 'string', default: join(here, 'results.json') },
    chart: { type: 'string', default: join(here, 'results.svg') },
    processes: { type: 'string', default: '3' },
  },
});
const frameworks = flags.frameworks.split(',');
const cases = flags.cases.split(',');
const CHILD_LIMIT_MS = 15 * 60_000;
// the memory floor runs nothing but an upload: a minute is far past its ~2 s
const limitFor = (framework) => (framework === 'dawn' ? 60_000 : CHILD_LIMIT_MS);

/** Runs one case in a child; resolves with its RESULT object (or an error row). */
function runCase(framework, name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(here, 'case.mjs'), framework, name], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '',
      stderr = '',
      result;
    // Dawn can keep a child's event loop alive after its work is done: once it has reported, give it
    // a moment to end by itself, then end it.
    const finish = () => setTimeout(() => child.exitCode === null && child.kill(), 5000).unref();
    const limit = setTimeout(() => child.kill(), limitFor(framework));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line && !result) {
        result = JSON.parse(line.slice(7));
        finish();
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => {
      clearTimeout(limit);
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      result ??= {
        framework,
        case: name,
        error: `exited ${code} without a result: ${stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`,
      };
      console.error(`[bench] ${framework} ${name}: ${result.error ? `error: ${result.error}` : 'done'} (${seconds} s)`);
      resolve(result);
    });
  });
}

// the MLP case's memory floor (its digits on a bare Dawn device) runs alongside it, in its own process
const MEASURES_RSS = new Set(['mlp', 'cnn', 'lstm', 'gru', 'memory-floor']);
const processes = Number(flags.processes);
if (!Number.isInteger(processes) || processes < 1) {
  throw new Error(`bench: --processes must be a positive integer, got ${flags.processes}`);
}
const runs = [
  ...cases.flatMap((name) =>
    Array.from({ length: MEASURES_RSS.has(name) ? processes : 1 }, () =>
      frameworks
        .filter((f) => name !== 'cnn-im2col' || f === 'webgrad')
        // the graph case compares against TF.js on the same adapter only (its CPU backends take minutes an epoch)
        .filter((f) => name !== 'graph' || f === 'webgrad' || f === 'tfjs-webgpu')
        .map((f) => [f, name]),
    ).flat(),
  ),
  ...(cases.includes('mlp') ? Array.from({ length: processes }, () => ['dawn', 'memory-floor']) : []),
];

/** One result per framework and case: the processes' samples pooled, their peak RSS one sample each. */
function pooled(all) {
  const byKey = new Map();
  for (const r of all) {
    const key = `${r.framework} ${r.case}`;
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(r);
  }
  return [...byKey.values()].map((group) => {
    const ok = group.filter((r) => !r.error);
    if (!ok.length) return group[0];
    const rows = {};
    for (const r of ok) for (const [k, samples] of Object.entries(r.rows ?? {})) (rows[k] ??= []).push(...samples);
    const failed = group.length - ok.length;
    return {
      ...ok[0],
      rows,
      processes: ok.length,
      peakRssMB: ok.map((r) => r.peakRssMB),
      ...(failed ? { note: `${failed} of ${group.length} processes failed: ${group.find((r) => r.error).error}` } : {}),
    };
  });
}
const processResults = [];
const benchStarted = Date.now();
const minutes = (ms) => `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
for (const [framework, name] of runs) {
  let result = await runCase(framework, name);
  // A child that died or hung without reporting (a Dawn abort from one of its threads, as the memory
  // floor's did before dawn-floor.mjs kept its instance alive) gets one more try, so that one such
  // death costs a row rather than the run; a case that reported its own error does not.
  if (result.error?.startsWith('exited')) {
    console.error(`[bench] ${framework} ${name}: once more`);
    result = await runCase(framework, name);
  }
  processResults.push(result);
  // cases differ in length, so the ETA is only the mean so far times what is left
  const done = processResults.length,
    elapsed = Date.now() - benchStarted,
    width = 30,
    filled = Math.round((width * done) / runs.length);
  console.error(
    `[bench] [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${runs.length} cases, ${minutes(elapsed)} elapsed` +
      (done < runs.length ? `, ETA about ${minutes((elapsed / done) * (runs.length - done))}` : ''),
  );
}

const results = pooled(processResults);
const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  adapter: results.find((r) => r.framework === 'webgrad')?.describe,
  date: new Date().toISOString(),
  command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
};
console.log(`\n${machine.date}  ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}`);
for (const r of results) {
  console.log(
    `  ${r.framework.padEnd(12)} ${r.case.padEnd(12)} ${r.describe ?? ''}` +
      `${r.processes > 1 ? `; ${r.processes} processes` : ''}${r.note ? ` (${r.note})` : ''}`,
  );
}
console.log(`\n${renderTable(results, frameworks)}\n`);
console.log(checkTargets(results));
// where webgrad's recurrent fit steps spend their time (the first process's profile of each case)
for (const r of results) if (r.profile) console.log(`\n${r.framework} ${r.case}: ${r.profile.join('\n')}`);
writeFileSync(flags.out, `${JSON.stringify({ machine, results }, null, 1)}\n`);
writeFileSync(
  flags.chart,
  gainChart(gainsOf(results, frameworks), {
    title: `webgrad against TF.js 4.22 — ${machine.date.slice(0, 10)}, ${machine.cpus}`,
  }),
);
console.log(`\nall samples: ${flags.out}; the gains as a chart: ${flags.chart}`);
