// Tensors, memory scopes, creation and the clear errors, on both backends.
import { expect } from 'chai';
import {
  add,
  broadcastTo,
  fill,
  fusedMatmul,
  matmul,
  memory,
  mul,
  ones,
  reshape,
  scalar,
  sum,
  tensor,
  tidy,
  withBackend,
  zeros,
  type Tensor,
} from '@webgrad/core';
import { backendOf, BACKENDS, cpu, gpu, tensorOn } from '../helpers.js';

for (const name of BACKENDS) {
  describe(`tensors on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('infers shapes from nested arrays and reads back values', async () => {
      const t = run(() =>
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      );
      expect(t.shape).to.deep.equal([2, 3]);
      expect(t.dtype).to.equal('float32');
      expect(Array.from(await t.data())).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(await t.array()).to.deep.equal([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      expect(await run(() => scalar(2.5)).array()).to.equal(2.5);
    });

    it('keeps int32 values exact', async () => {
      const t = run(() => tensor([1, -2, 2147483647], [3], 'int32'));
      const data = await t.data();
      expect(data).to.be.instanceOf(Int32Array);
      expect(Array.from(data)).to.deep.equal([1, -2, 2147483647]);
      expect(Array.from(await run(() => ones([2], 'int32')).data())).to.deep.equal([1, 1]);
    });

    it('reshape is a view: disposing one handle keeps the other readable', async () => {
      const t = run(() => tensor([1, 2, 3, 4, 5, 6]));
      const r = run(() => reshape(t, [3, -1]));
      expect(r.shape).to.deep.equal([3, 2]);
      t.dispose();
      expect(await r.array()).to.deep.equal([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
    });

    it('tidy disposes intermediates and keeps what it returns', async () => {
      let inner: Tensor | undefined;
      const out = run(() =>
        tidy(() => {
          inner = add(zeros([3]), 1);
          return add(inner, 1);
        }),
      );
      expect(inner!.isDisposed).to.equal(true);
      expect(Array.from(await out.data())).to.deep.equal([2, 2, 2]);
    });

    it('memory() counts live tensors and storages; views share a storage; tidy returns to the start', () => {
      const before = memory();
      const t = run(() => tensor([1, 2, 3, 4]));
      const view = reshape(t, [2, 2]);
      expect(memory().tensors - before.tensors).to.equal(2);
      expect(memory().storages - before.storages).to.equal(1);
      expect(memory().bytes - before.bytes).to.equal(16);
      run(() =>
        tidy(() => {
          add(mul(t, 2), 1);
        }),
      );
      expect(memory().tensors - before.tensors).to.equal(2);
      [t, view].forEach((x) => x.dispose());
      expect(memory()).to.deep.include({ tensors: before.tensors, storages: before.storages, bytes: before.bytes });
    });

    it('tidy refuses async functions', () => {
      expect(() => tidy((async () => zeros([1])) as never)).to.throw(/tidy: fn returned a Promise/);
    });

    it('errors name the op and the shapes', () => {
      const a = run(() => zeros([2, 3])),
        b = run(() => zeros([4, 5]));
      expect(() => matmul(a, b)).to.throw(/matmul: inner dimensions differ: \[2,3\] · \[4,5\].*3 vs 4/);
      expect(() =>
        add(
          a,
          run(() => zeros([4])),
        ),
      ).to.throw(/add: shapes \[2,3\] and \[4\] cannot be broadcast together/);
      expect(() => reshape(a, [4, 2])).to.throw(/reshape: cannot reshape shape \[2,3\] \(6 elements\) to \[4,2\]/);
      expect(() => sum(a, 2)).to.throw(/sum: axis 2 is out of range for a tensor of shape \[2,3\]/);
      expect(() => broadcastTo(a, [3, 3])).to.throw(/broadcastTo: shapes \[2,3\] and \[3,3\] cannot be broadcast/);
      expect(() => run(() => tensor([1, 2, 3], [2, 2]))).to.throw(/tensor: 3 values cannot fill shape \[2,2\]/);
      expect(() => run(() => tensor([1.5], [1], 'int32'))).to.throw(/tensor: int32 value 0 is 1.5/);
      expect(() =>
        add(
          run(() => tensor([1], [1], 'int32')),
          a,
        ),
      ).to.throw(/add: expected float32 input, got int32/);
      const w = run(() => zeros([3, 4]));
      expect(() => fusedMatmul({ a, b: w, bias: run(() => zeros([3])) })).to.throw(
        /fusedMatmul: bias of shape \[3\] does not fit the result \[2,4\]; expected \[4\]/,
      );
      expect(() => fusedMatmul({ a, b: w, activation: 'elu' as never })).to.throw(
        /fusedMatmul: activation 'elu' cannot be fused; expected one of linear, relu, sigmoid, tanh/,
      );
    });

    it('using a disposed tensor is an error naming the op', async () => {
      const t = run(() => tensor([1, 2]));
      t.dispose();
      expect(() => add(t, t)).to.throw(/add: tensor #\d+ \(shape \[2\], float32\) was disposed/);
      let error: unknown;
      await t.data().catch((e) => {
        error = e;
      });
      expect(String(error)).to.match(/data: tensor #\d+ .* was disposed/);
    });
  });
}

describe('tensors of two backends', () => {
  it('cannot be mixed in one op', () => {
    const a = tensorOn(cpu(), [1, 2], [2]),
      b = tensorOn(gpu(), [3, 4], [2]);
    expect(() => add(a, b)).to.throw(
      /add: input 0 \(shape \[2\]\) is on backend 'cpu' but input 1 \(shape \[2\]\) is on 'webgpu'/,
    );
  });
});

describe('int32 tensors refuse values outside int32 rather than wrap them', () => {
  it('tensor and fill name the value and the range; the edges themselves are kept exactly', () =>
    withBackend(cpu(), async () => {
      const message = (fn: () => unknown) => {
        try {
          fn();
        } catch (e) {
          return (e as Error).message;
        }
        return 'no error';
      };
      expect(message(() => tensor([1, 2 ** 32 + 1], [2], 'int32'))).to.equal(
        "tensor: int32 value 1 is 4294967297, outside int32's range [-2147483648, 2147483647]",
      );
      expect(message(() => tensor([-(2 ** 31) - 1], [1], 'int32'))).to.equal(
        "tensor: int32 value 0 is -2147483649, outside int32's range [-2147483648, 2147483647]",
      );
      expect(message(() => zeros([2], 'int32').dispose())).to.equal('no error');
      expect(message(() => fill([2], 2 ** 31, 'int32'))).to.equal(
        'fill: int32 value 2147483648 is not an integer in [-2147483648, 2147483647]',
      );
      const edges = tensor([-(2 ** 31), 2 ** 31 - 1], [2], 'int32');
      expect(Array.from(await edges.data())).to.deep.equal([-(2 ** 31), 2 ** 31 - 1]);
    }));
});
