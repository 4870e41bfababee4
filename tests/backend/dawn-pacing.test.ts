// Paced waiting on Dawn (packages/webgpu/src/dawn-pacing.ts): while a readback waits on long GPU work,
// Dawn's Node binding ticks one a millisecond instead of spinning through setImmediate; everybody
// else's setImmediate is untouched, and the global is restored when the wait ends.
import { expect } from 'chai';
import { fill, matmul, withBackend } from '@webgrad/core';
import { gpu } from '../helpers.js';

type Schedule = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;
const host = globalThis as unknown as { setImmediate: Schedule };
const isNative = (f: unknown) => typeof f === 'function' && f.name === '' && Function.prototype.toString.call(f).includes('[native code]');

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
      const reading = product.data().then((values) => { waitedMs = performance.now() - started; return values; });
      // while the read is pending: the paced global hands other callers to the real setImmediate, in order
      expect(host.setImmediate).to.not.equal(counting);
      const cancelled = host.setImmediate(() => order.push('cancelled'));
      host.setImmediate(function named() { order.push('named'); });
      host.setImmediate((tag: unknown) => order.push(String(tag)), 'with argument');
      clearImmediate(cancelled as ReturnType<typeof setImmediate>);
      const values = await reading;
      product.dispose();
      expect(values.length).to.equal(n * n);
      expect(values.every((v) => v === n), 'every entry of ones·ones is n').to.equal(true);
      expect(order).to.deep.equal(['named', 'with argument']);
      expect(host.setImmediate, 'the global is restored after the wait').to.equal(counting);
      // Unpaced, Dawn ticks back to back (tens per millisecond) for the whole wait; paced, it ticks
      // through setImmediate only in the first millisecond.
      expect(waitedMs, 'the product must take long enough to show the pacing').to.be.greaterThan(50);
      expect(immediateDawnTicks).to.be.lessThan(waitedMs * 2);
      console.log(`      read waited ${waitedMs.toFixed(0)} ms; Dawn ticks through setImmediate: ${immediateDawnTicks}`);
    } finally {
      host.setImmediate = real;
    }
  });
});
