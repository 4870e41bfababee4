// Where the bench's MLP case spends its peak RSS, stage by stage, for one framework: the same steps
// as case.mjs's `mlp` (open the framework, load the digits, upload them, build, 5 epochs of fit at
// batch 64, evaluate, predict), each with the peak RSS reached during it (VmHWM, reset between stages
// through /proc/self/clear_refs), the RSS after it, the V8 heap, and on lavapipe the device memory
// (its memfd mappings). Then the process's largest mappings. Linux only.
//   node bench/mlp-memory.mjs [webgrad | tfjs-webgpu | tfjs-wasm | tfjs-cpu]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { IMAGE_SIZE, mnistSplit } from '../examples/mnist-data.mjs';

const framework = process.argv[2] ?? 'webgrad';
const MB = (kb) => Math.round(kb / 1024);

/** RSS in kB by mapping name: a file's path, [heap] (the main malloc arena), [anon], or memfd (device memory on lavapipe). */
function mappings() {
  const rss = new Map();
  let name = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      name = line.split(/\s+/).slice(5).join(' ') || '[anon]';
      if (name.startsWith('/memfd:')) name = 'memfd (device memory)';
    } else if (line.startsWith('Rss:')) rss.set(name, (rss.get(name) ?? 0) + Number(line.split(/\s+/)[1]));
  }
  return rss;
}

/**
 * The device memory's RSS in kB, read by awk in a child process: parsing smaps here (thousands of
 * mappings, ~60k lines) would itself grow the V8 heap by ~25 MB over a run and skew the figures.
 */
function deviceKB() {
  const script = '/^[0-9a-f]+-[0-9a-f]+ / { on = ($0 ~ /memfd:/) } on && /^Rss:/ { kb += $2 } END { print kb + 0 }';
  return Number(execFileSync('awk', [script, `/proc/${process.pid}/smaps`], { encoding: 'utf8' }));
}

function status(field) {
  return Number(readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`))[1]);
}

const rows = [];
function stage(name) {
  rows.push({
    stage: name,
    'peak MB': MB(status('VmHWM')),
    'RSS after MB': MB(status('VmRSS')),
    'V8 heap MB': Math.round(process.memoryUsage().heapTotal / 2 ** 20),
    'device MB': MB(deviceKB()),
  });
  writeFileSync('/proc/self/clear_refs', '5'); // the next stage's peak starts from here
}

stage('node, before the framework');
const fw =
  framework === 'webgrad'
    ? await (await import('./adapters/webgrad.mjs')).open()
    : await (await import('./adapters/tfjs.mjs')).open(framework.replace(/^tfjs-/, ''));
stage('framework open');
// as in case.mjs, the host copies of the digits are dropped once uploaded
function upload() {
  const { train, test } = mnistSplit({ seed: 1 });
  stage('digits loaded');
  return {
    x: fw.fromArray(train.images, [train.n, IMAGE_SIZE]),
    y: fw.labels(train.labels),
    xTest: fw.fromArray(test.images, [test.n, IMAGE_SIZE]),
    yTest: fw.labels(test.labels),
  };
}
const { x, y, xTest, yTest } = upload();
stage('digits uploaded');
const model = fw.model((l) => [l.dense(128, 'relu', [IMAGE_SIZE]), l.dense(10, 'softmax')]);
fw.weightShapes(model);
stage('model built');
for (let epoch = 1; epoch <= 5; epoch++) {
  await fw.fitEpoch(model, x, y, 64);
  stage(`fit, epoch ${epoch}`);
}
await fw.evaluate(model, xTest, yTest, 256);
stage('evaluate');
await fw.predict(model, xTest, 256);
stage('predict');

console.log(`${fw.describe()}: peak RSS ${MB(process.resourceUsage().maxRSS)} MB`);
console.table(rows);
console.log('largest mappings at the end (RSS):');
for (const [name, kb] of [...mappings()].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
  console.log(`${String(MB(kb)).padStart(6)} MB  ${name}`);
}
process.exit(0); // Dawn keeps the event loop alive
