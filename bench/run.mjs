// `npm run bench`: webgrad against TF.js 4.22 (webgpu on the same Dawn adapter, wasm, cpu) in one
// run. Every framework × case runs in its own child process (bench/case.mjs), one after another so
// they never share the CPUs; the raw Dawn dispatch floor is measured inside the WebGPU frameworks'
// kernels cases, alternating with their small-op runs. Prints one table
// (median, min–max of the timed runs, and webgrad's gain over each tfjs backend), checks the issue's
// targets, and writes every sample to bench/results.json. Options:
//   node bench/run.mjs [--frameworks webgrad,tfjs-webgpu,...] [--cases kernels,mlp,cnn,cnn-im2col] [--out file] [--chart file.svg]
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
    cases: { type: 'string', default: 'kernels,mlp,cnn,cnn-im2col' },
    out: { type: 'string', default: join(here, 'results.json') },
    chart: { type: 'string', default: join(here, 'results.svg') },
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
    const child = spawn(process.execPath, [join(here, 'case.mjs'), framework, name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', result;
    // Dawn can keep a child's event loop alive after its work is done: once it has reported, give it
    // a moment to end by itself, then end it.
    const finish = () => setTimeout(() => child.exitCode === null && child.kill(), 5000).unref();
    const limit = setTimeout(() => child.kill(), limitFor(framework));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line && !result) { result = JSON.parse(line.slice(7)); finish(); }
    });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('close', (code) => {
      clearTimeout(limit);
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      result ??= { framework, case: name, error: `exited ${code} without a result: ${stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}` };
      console.error(`[bench] ${framework} ${name}: ${result.error ? `error: ${result.error}` : 'done'} (${seconds} s)`);
      resolve(result);
    });
  });
}

// the MLP case's memory floor (its digits on a bare Dawn device) runs alongside it, in its own process
const runs = [
  ...cases.flatMap((name) => frameworks.filter((f) => name !== 'cnn-im2col' || f === 'webgrad').map((f) => [f, name])),
  ...(cases.includes('mlp') ? [['dawn', 'memory-floor']] : []),
];
const results = [];
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
  results.push(result);
  // cases differ in length, so the ETA is only the mean so far times what is left
  const done = results.length, elapsed = Date.now() - benchStarted, width = 30, filled = Math.round((width * done) / runs.length);
  console.error(`[bench] [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${runs.length} cases, ${minutes(elapsed)} elapsed` +
    (done < runs.length ? `, ETA about ${minutes((elapsed / done) * (runs.length - done))}` : ''));
}

const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version,
  adapter: results.find((r) => r.framework === 'webgrad')?.describe, date: new Date().toISOString(),
  command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
};
console.log(`\n${machine.date}  ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}`);
for (const r of results) console.log(`  ${r.framework.padEnd(12)} ${r.case.padEnd(8)} ${r.describe ?? ''}`);
console.log(`\n${renderTable(results, frameworks)}\n`);
console.log(checkTargets(results));
writeFileSync(flags.out, `${JSON.stringify({ machine, results }, null, 1)}\n`);
writeFileSync(flags.chart, gainChart(gainsOf(results, frameworks), { title: `webgrad against TF.js 4.22 — ${machine.date.slice(0, 10)}, ${machine.cpus}` }));
console.log(`\nall samples: ${flags.out}; the gains as a chart: ${flags.chart}`);
