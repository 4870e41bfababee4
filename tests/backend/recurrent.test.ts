// The recurrent family: the fused recurrentSequence on the GPU against the CPU reference with its
// gradients (specs/recurrent.ts), on the subgroup kernels where the device has them and again on the
// kernels without, and the errors bad shapes get, naming the op, the cell and the shapes.
import { expect } from 'chai';
import { recurrentSequence, tensor, withBackend, zeros, type Tensor } from '@webgrad/core';
import type { WebGPUBackend } from '@webgrad/webgpu';
import { backendOf, BACKENDS } from '../helpers.js';
import { describeSpecPart } from '../kernel-spec.js';
import { recurrentSpecs } from './specs/recurrent.js';

describeSpecPart('recurrent: GPU against the CPU reference, gradients checked numerically', recurrentSpecs);

describe('recurrent on the kernels without subgroups (the fallback for devices without them)', () => {
  const gpu = () => backendOf('webgpu') as WebGPUBackend;
  let previous: boolean;
  before(() => {
    previous = gpu().recurrentSubgroups;
    // lavapipe has subgroups, so the specs above ran the subgroup kernels and these run the others
    expect(previous).to.equal(gpu().device.features.has('subgroups'));
    gpu().recurrentSubgroups = false;
  });
  after(() => {
    gpu().recurrentSubgroups = previous;
  });
  describeSpecPart('recurrent, no subgroups: GPU against the CPU reference', recurrentSpecs);
});

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

for (const name of BACKENDS) {
  describe(`recurrentSequence refuses bad shapes (${name})`, () => {
    const on = <T>(fn: () => T): T => withBackend(backendOf(name), fn);
    const lstmArgs = (overrides: { projected?: Tensor; h0?: Tensor; c0?: Tensor; mask?: Tensor; kernel?: Tensor }) =>
      on(() => ({
        cell: 'LSTM' as const,
        projected: overrides.projected ?? zeros([2, 3, 8]),
        recurrentKernel: overrides.kernel ?? zeros([2, 8]),
        initialStates: [overrides.h0 ?? zeros([2, 2]), overrides.c0 ?? zeros([2, 2])],
        mask: overrides.mask,
      }));

    it('a mask of the wrong shape', () => {
      const message = errorOf(() => on(() => recurrentSequence(lstmArgs({ mask: zeros([2, 4]) }))));
      expect(message).to.equal('recurrentSequence (LSTM): mask of shape [2,4], expected [batch, timesteps] = [2,3]');
    });

    it('an initial state of the wrong size', () => {
      const message = errorOf(() => on(() => recurrentSequence(lstmArgs({ c0: zeros([2, 3]) }))));
      expect(message).to.equal(
        'recurrentSequence (LSTM): initial state c of shape [2,3], expected [batch, units] = [2,2]',
      );
    });

    it('projected without the gate blocks, and a recurrent kernel of the wrong width', () => {
      expect(errorOf(() => on(() => recurrentSequence(lstmArgs({ projected: zeros([2, 3, 6]) }))))).to.equal(
        'recurrentSequence (LSTM): projected (x·W + b) of shape [2,3,6], expected [batch, timesteps ≥ 1, 8] for 2 units',
      );
      expect(errorOf(() => on(() => recurrentSequence(lstmArgs({ kernel: zeros([2, 6]) }))))).to.equal(
        'recurrentSequence (LSTM): recurrentKernel of shape [2,6], expected [units, 4·units] (4 gate blocks)',
      );
    });

    it('an int32 mask, a missing state and an activation without a fused kernel', () => {
      const intMask = on(() => tensor([1, 0, 1, 1, 1, 0], [2, 3], 'int32'));
      expect(errorOf(() => on(() => recurrentSequence(lstmArgs({ mask: intMask }))))).to.equal(
        'recurrentSequence (LSTM): expected float32 input, got int32 (shape [2,3]); this op is float-only',
      );
      const oneState = on(() => ({ ...lstmArgs({}), initialStates: [zeros([2, 2])] }));
      expect(errorOf(() => on(() => recurrentSequence(oneState)))).to.equal(
        'recurrentSequence (LSTM): expected 2 initial states, got 1',
      );
      const gelu = on(() => ({ ...lstmArgs({}), activation: 'gelu' as never }));
      expect(errorOf(() => on(() => recurrentSequence(gelu)))).to.match(
        /^recurrentSequence \(LSTM\): activation 'gelu' has no fused kernel; expected one of linear, relu, sigmoid, tanh, hardSigmoid$/,
      );
    });
  });
}
