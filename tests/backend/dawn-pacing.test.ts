// What the WebGPU backend changes in a Node process, and its opt-outs (acquireDevice's DeviceOptions).
// Paced waiting (packages/webgpu/src/dawn-pacing.ts): while a readback waits on long GPU work, Dawn's
// Node binding ticks one a millisecond instead of spinning through setImmediate; everybody else's
// setImmediate is untouched, and the global is restored when the wait ends. The opt-outs run in child
// processes, since this one already has a device with everything on (tests/setup.ts): pacing off
// leaves setImmediate alone, globals off leaves globalThis without Dawn's classes (webgrad's flag
// constants stay usable), and Dawn's limit notices are kept off a piped stderr unless asked for.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { fill, matmul, withBackend } from '@webgrad/core';
import { BufferUsage, MapMode, ShaderStage, TextureUsage } from '../../packages/webgpu/src/gpu-flags.js';
import { gpu } from '../helpers.js';

type Schedule = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;
const host = globalThis as unknown as { setImmediate: Schedule };
const isNative = (f: unknown) =>
  typeof f === 'function' && f.name === '' && Function.prototype.toString.call(f).includes('[native code]');

describe('Dawn pacing (Node)', () => {
  it('a long readback: right values, Dawn ticks paced, other setImmediate callers untouched, the global restored', async function () {
    this.timeout(120_000);
    const real = host.setImmediate;
    let immediateDawnTicks = 0;
    const counting: Schedule = function (this: unknown, callback, ...args) {
      if (isNative(callback)) immediateDawnTicks++;
      return real.call(this, callback, ...args);
    };
    host.setImmediate = counting;
    try {
      const n = 1024; // ones·ones: every entry is n; a 1024³ product keeps lavapipe busy for a while
      const product = withBackend(gpu(), () => matmul(fill([n, n], 1), fill([n, n], 1)));
      const order: string[] = [];
      let waitedMs = 0;
      const started = performance.now();
      const reading = product.data().then((values) => {
        waitedMs = performance.now() - started;
        return values;
      });
      // while the read is pending: the paced global hands other callers to the real setImmediate, in order
      expect(host.setImmediate).to.not.equal(counting);
      const cancelled = host.setImmediate(() => order.push('cancelled'));
      host.setImmediate(function named() {
        order.push('named');
      });
      host.setImmediate((tag: unknown) => order.push(String(tag)), 'with argument');
      clearImmediate(cancelled as ReturnType<typeof setImmediate>);
      const values = await reading;
      product.dispose();
      expect(values.length).to.equal(n * n);
      expect(
        values.every((v) => v === n),
        'every entry of ones·ones is n',
      ).to.equal(true);
      expect(order).to.deep.equal(['named', 'with argument']);
      expect(host.setImmediate, 'the global is restored after the wait').to.equal(counting);
      // Unpaced, Dawn ticks back to back (tens per millisecond) for the whole wait; paced, it ticks
      // through setImmediate only in the first millisecond.
      expect(waitedMs, 'the product must take long enough to show the pacing').to.be.greaterThan(50);
      expect(immediateDawnTicks).to.be.lessThan(waitedMs * 2);
      console.log(
        `      read waited ${waitedMs.toFixed(0)} ms; Dawn ticks through setImmediate: ${immediateDawnTicks}`,
      );
    } finally {
      host.setImmediate = real;
    }
  });
});

const DIST = new URL('../../packages/webgpu/dist/', import.meta.url).href;
const CORE_DIST = new URL('../../packages/core/dist/', import.meta.url).href;
const LIMIT_NOTICE = /artificially reduced/;

/**
 * Runs `body` as an ES module in a fresh Node; its last stdout line is JSON. Its stderr is a shell
 * pipe, as under `npm test | tee` (a Node parent's 'pipe' would be a socket, which the notice filter
 * cannot reopen and leaves alone).
 */
function inChild(body: string): { result: Record<string, unknown>; stderr: string } {
  const pipeline = '"$0" --input-type=module -e "$1" 2>&1 >&3 3>&- | cat';
  const run = spawnSync('sh', ['-c', pipeline, process.execPath, body], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
    timeout: 60_000,
  });
  const stdout = String(run.output[3]).trim();
  const stderr = run.stdout;
  if (!stdout) throw new Error(`the child printed no result; its stderr: ${stderr}`);
  const lines = stdout.split('\n');
  return { result: JSON.parse(lines[lines.length - 1]), stderr };
}

// Reads back 4 floats through a MAP_READ buffer; reports whether setImmediate was swapped while the
// paced map was pending, and whether Dawn's GPUBufferUsage global existed before and after.
const readbackChild = (options: object) => `
  import { acquireDevice } from '${DIST}device.js';
  import { paced } from '${DIST}dawn-pacing.js';
  import { BufferUsage, MapMode } from '${DIST}gpu-flags.js';
  const globalBefore = typeof globalThis.GPUBufferUsage;
  const real = globalThis.setImmediate;
  const { device } = await acquireDevice(${JSON.stringify(options)});
  const staging = device.createBuffer({ size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  device.queue.writeBuffer(staging, 0, new Float32Array([1.5, -2, 3.25, 4]));
  const mapping = paced(() => staging.mapAsync(MapMode.READ));
  const swappedWhileWaiting = globalThis.setImmediate !== real;
  await mapping;
  const values = [...new Float32Array(staging.getMappedRange())];
  const restored = globalThis.setImmediate === real;
  console.log(JSON.stringify({ globalBefore, globalAfter: typeof globalThis.GPUBufferUsage, swappedWhileWaiting, restored, values }));
  device.destroy();
  process.exit(0);
`;

describe('what the WebGPU backend changes in a Node process (acquireDevice options)', () => {
  it('pacing: false leaves setImmediate alone during a paced wait; the default swaps it and restores it', function () {
    this.timeout(120_000);
    const off = inChild(readbackChild({ pacing: false })).result;
    expect(off.values).to.deep.equal([1.5, -2, 3.25, 4]);
    expect(off.swappedWhileWaiting, 'pacing off: setImmediate untouched while waiting').to.equal(false);
    const on = inChild(readbackChild({})).result;
    expect(on.values).to.deep.equal([1.5, -2, 3.25, 4]);
    expect(on.swappedWhileWaiting, 'pacing on: setImmediate swapped while waiting').to.equal(true);
    expect(on.restored, 'pacing on: setImmediate restored after the wait').to.equal(true);
  });

  it("installGlobals: false leaves Dawn's classes off globalThis; webgrad's flag constants still drive a readback", function () {
    this.timeout(120_000);
    const off = inChild(readbackChild({ installGlobals: false })).result;
    expect([off.globalBefore, off.globalAfter]).to.deep.equal(['undefined', 'undefined']);
    expect(off.values).to.deep.equal([1.5, -2, 3.25, 4]);
    const on = inChild(readbackChild({})).result;
    expect([on.globalBefore, on.globalAfter]).to.deep.equal(['undefined', 'function']);
  });

  it('a whole backend with pacing and globals off: a matmul reads back right, setImmediate and globalThis untouched', function () {
    this.timeout(120_000);
    const child = `
      import { matmul, setBackend, tensor } from '${CORE_DIST}index.js';
      import { createWebGPUBackend } from '${DIST}index.js';
      import { registerBackend } from '${CORE_DIST}index.js';
      const real = globalThis.setImmediate;
      let swapped = false;
      const watch = setInterval(() => { swapped ||= globalThis.setImmediate !== real; }, 0);
      registerBackend('quiet-webgpu', () => createWebGPUBackend({ pacing: false, installGlobals: false, tuningCache: false }));
      await setBackend('quiet-webgpu');
      const product = matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]]));
      const values = [...(await product.data())];
      clearInterval(watch);
      swapped ||= globalThis.setImmediate !== real;
      console.log(JSON.stringify({ values, swapped, globalAfter: typeof globalThis.GPUBufferUsage }));
      process.exit(0);
    `;
    const { result } = inChild(child);
    expect(result.values).to.deep.equal([19, 22, 43, 50]);
    expect(result.swapped, 'setImmediate swapped at some point').to.equal(false);
    expect(result.globalAfter).to.equal('undefined');
  });

  it("gpu-flags.ts holds the values of Dawn's own GPUBufferUsage, GPUMapMode, GPUTextureUsage and GPUShaderStage", () => {
    const dawn = globalThis as unknown as Record<string, Record<string, number>>;
    const pairs = [
      [BufferUsage, dawn.GPUBufferUsage],
      [MapMode, dawn.GPUMapMode],
      [TextureUsage, dawn.GPUTextureUsage],
      [ShaderStage, dawn.GPUShaderStage],
    ] as const;
    for (const [ours, theirs] of pairs) {
      for (const [name, value] of Object.entries(ours)) expect(theirs[name], name).to.equal(value);
    }
  });

  it("Dawn's limit notices stay off a piped stderr; other output there is passed on and stderr works after", function () {
    this.timeout(120_000);
    const acquire = (options: object) => `
      import { acquireDevice } from '${DIST}device.js';
      const { device } = await acquireDevice(${JSON.stringify(options)});
      process.stderr.write('written after acquiring\\n');
      console.log(JSON.stringify({ ok: true }));
      device.destroy();
      process.exit(0);
    `;
    const quiet = inChild(acquire({}));
    expect(quiet.stderr).to.not.match(LIMIT_NOTICE);
    expect(quiet.stderr).to.include('written after acquiring');
    // a log opened to append (2>>): kept as it was, the notices left out, later lines after it
    const log = join(mkdtempSync(join(tmpdir(), 'webgrad-notices-')), 'stderr.log');
    writeFileSync(log, 'earlier line\n');
    const appending = '"$0" --input-type=module -e "$1" 2>>"$2"';
    const appended = spawnSync('sh', ['-c', appending, process.execPath, acquire({}), log], { encoding: 'utf8' });
    expect(appended.stdout).to.include('"ok":true');
    const logged = readFileSync(log, 'utf8');
    expect(logged).to.not.match(LIMIT_NOTICE);
    expect(logged).to.match(/^earlier line\n(.|\n)*written after acquiring\n$/);
    // the filter itself, on lines written to fd 2 the way Dawn writes them (not through process.stderr)
    const filtered = inChild(`
      import { writeSync } from 'node:fs';
      import { withoutDawnLimitNotices } from '${DIST}device.js';
      const notice = (kind) =>
        'Warning: maxDynamic' + kind + 'BuffersPerPipelineLayout artificially reduced from 1000000 to 16' +
        ' to fit dynamic offset allocation limit.\\n';
      const returned = await withoutDawnLimitNotices(() => {
        writeSync(2, notice('Uniform') + 'another native line\\n' + notice('Storage'));
        return 42;
      });
      writeSync(2, 'fd 2 restored\\n');
      console.log(JSON.stringify({ returned }));
    `);
    expect(filtered.result.returned).to.equal(42);
    expect(filtered.stderr).to.equal('another native line\nfd 2 restored\n');
  });

  it('a log opened with `>` stays clean too: scripts/stderr-pipe.mjs runs the work with stderr through a named pipe', function () {
    this.timeout(120_000);
    const script = fileURLToPath(new URL('../../scripts/stderr-pipe.mjs', import.meta.url));
    const body = `
      import { acquireDevice } from '${DIST}device.js';
      const { device } = await acquireDevice({});
      process.stderr.write('written after acquiring\\n');
      console.log('ok');
      device.destroy();
      process.exit(3);
    `;
    const log = join(mkdtempSync(join(tmpdir(), 'webgrad-notices-')), 'both.log');
    const truncating = '"$0" "$1" "$0" --input-type=module -e "$2" >"$3" 2>&1';
    const run = spawnSync('sh', ['-c', truncating, process.execPath, script, body, log], { encoding: 'utf8' });
    expect(run.status, "the command's exit code comes through").to.equal(3);
    const logged = readFileSync(log, 'utf8');
    expect(logged).to.not.match(LIMIT_NOTICE);
    expect(logged).to.include('written after acquiring\n');
    expect(logged).to.include('ok\n');
    // the same command without the script prints them, so the check above is not vacuous
    const bare = '"$0" --input-type=module -e "$1" >"$2" 2>&1';
    spawnSync('sh', ['-c', bare, process.execPath, body, log], { encoding: 'utf8' });
    expect(readFileSync(log, 'utf8')).to.match(LIMIT_NOTICE);
  });
});
