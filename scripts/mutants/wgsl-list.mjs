// The WGSL mutants of `npm run mutants`: each a plausible kernel bug planted by one exact text
// replacement in one shader (swapped indices, off-by-one bounds, a wrong tie rule, a dropped term,
// H and W swapped, a wrong stride), with the test files (and, for the slow files, a mocha grep) that
// should catch it. `search` must occur exactly once in its file: wgsl.mjs refuses a stale entry.

const ELEMENTWISE = ['tests/backend/elementwise.test.ts'];
const KERNELS = ['tests/backend/kernels.test.ts'];
const BINARY_VEC4 = ['tests/backend/binary-vec4.test.ts'];
const REDUCE = ['tests/backend/reduce.test.ts'];
const LOSS = ['tests/backend/loss.test.ts'];
const MOVEMENT = ['tests/backend/movement.test.ts'];
const CONV = ['tests/backend/conv.test.ts', 'tests/layers/conv.test.ts'];
const OPTIM = ['tests/backend/optim.test.ts'];
// gemm.test.ts runs each GEMM kernel by name; the grep keeps the tiled 'matmul' kernel's cases
const GEMM = ['tests/backend/gemm.test.ts'];
const RANDOM = ['tests/backend/random.test.ts'];

/** @type {{ id: string, file: string, search: string, replace: string, why: string, tests: string[], grep?: string }[]} */
export const WGSL_MUTANTS = [
  // prelude: the index helpers every strided kernel shares
  {
    id: 'prelude-strided-order', file: 'shaders/prelude.wgsl',
    search: 'offset += (rest % size) * dim_at(strides, u32(d));', replace: 'offset += (rest / size) * dim_at(strides, u32(d));',
    why: 'strided_offset takes the quotient instead of the coordinate', tests: MOVEMENT,
  },
  {
    id: 'prelude-flat-index-y', file: 'shaders/prelude.wgsl',
    search: 'return gid.x + gid.y * nwg.x * wg_size;', replace: 'return gid.x + gid.y * nwg.x;',
    why: 'the wrapped grid forgets the workgroup size on its y rows (only > 65535 workgroups show it)', tests: KERNELS, grep: 'large',
  },
  // elementwise
  {
    id: 'unary-relu-tie', file: 'shaders/elementwise/unary.wgsl',
    search: 'if (OP == OP_RELU) { return max(v, 0.0); }', replace: 'if (OP == OP_RELU) { return abs(v); }',
    why: 'relu keeps negative inputs (as |v|)', tests: KERNELS, grep: 'relu',
  },
  {
    id: 'unary-leaky-alpha', file: 'shaders/elementwise/unary.wgsl',
    search: 'return select(params.alpha * v, v, v > 0.0); }', replace: 'return select(v, params.alpha * v, v > 0.0); }',
    why: 'leakyRelu applies α on the wrong side', tests: ELEMENTWISE,
  },
  {
    id: 'unary-softplus-dropped-term', file: 'shaders/elementwise/unary.wgsl',
    search: 'return max(v, 0.0) + log(1.0 + exp(-abs(v)));', replace: 'return max(v, 0.0);',
    why: 'softplus drops its log term', tests: ELEMENTWISE,
  },
  {
    id: 'unary-is-finite-mask', file: 'shaders/elementwise/unary.wgsl',
    search: '(bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u', replace: '(bitcast<u32>(v) & 0x7f800000u) == 0u',
    why: 'isFinite tests for a zero exponent instead of an all-ones one', tests: [...ELEMENTWISE, 'tests/layers/model.test.ts'], grep: 'elementwise values|clear errors',
  },
  {
    id: 'unary-broadcast-ignored', file: 'shaders/elementwise/unary.wgsl',
    search: 'if (params.x_broadcast != 0u) {', replace: 'if (params.x_broadcast == 2u) {',
    why: 'a unary op on a broadcast view reads x contiguously (equivalent today: backend.ts dispatches unary only with x.shape)', tests: [...ELEMENTWISE, ...MOVEMENT],
  },
  {
    id: 'unary-grad-relu-at-zero', file: 'shaders/elementwise/unary_grad.wgsl',
    search: 'if (OP == OP_RELU) { return select(0.0, 1.0, v > 0.0); }', replace: 'if (OP == OP_RELU) { return select(0.0, 1.0, v >= 0.0); }',
    why: 'relu′(0) = 1 instead of 0 (only exact zeros show it)', tests: [...KERNELS, ...ELEMENTWISE], grep: 'relu',
  },
  {
    id: 'unary-grad-tanh-sign', file: 'shaders/elementwise/unary_grad.wgsl',
    search: 'if (OP == OP_TANH) { return 1.0 - w * w; }', replace: 'if (OP == OP_TANH) { return 1.0 + w * w; }',
    why: 'tanh′ adds y² instead of subtracting it', tests: KERNELS, grep: 'tanh',
  },
  {
    id: 'unary-grad-elu-alpha', file: 'shaders/elementwise/unary_grad.wgsl',
    search: 'if (OP == OP_ELU) { return select(w + params.alpha, 1.0, v > 0.0); }', replace: 'if (OP == OP_ELU) { return select(w, 1.0, v > 0.0); }',
    why: 'elu′ for x ≤ 0 drops α (right only when y + α = y, never)', tests: ELEMENTWISE,
  },
  {
    id: 'unary-grad-sigmoid-bce-sign', file: 'shaders/elementwise/unary_grad.wgsl',
    search: 'return 1.0 / (1.0 + exp(-v)) - w;', replace: 'return w - 1.0 / (1.0 + exp(-v));',
    why: "sigmoid cross-entropy's gradient with the wrong sign", tests: LOSS,
  },
  {
    id: 'binary-sub-swapped', file: 'shaders/elementwise/binary.wgsl',
    search: 'if (OP == OP_SUB) { return u - v; }', replace: 'if (OP == OP_SUB) { return v - u; }',
    why: 'sub swaps its operands', tests: KERNELS, grep: 'sub',
  },
  {
    id: 'binary-greater-equal-tie', file: 'shaders/elementwise/binary.wgsl',
    search: 'if (OP == OP_GREATER_EQUAL) { return select(0.0, 1.0, u >= v); }', replace: 'if (OP == OP_GREATER_EQUAL) { return select(0.0, 1.0, u > v); }',
    why: 'greaterEqual loses its tie (>= becomes >)', tests: [...ELEMENTWISE, ...BINARY_VEC4], grep: 'greaterEqual|comparisons',
  },
  {
    id: 'binary-b-broadcast-uses-a-strides', file: 'shaders/elementwise/binary.wgsl',
    search: 'bi = strided_offset(i, params.rank, params.out_shape, params.b_strides);', replace: 'bi = strided_offset(i, params.rank, params.out_shape, params.a_strides);',
    why: "a broadcast b is read with a's strides", tests: KERNELS, grep: 'add|mul',
  },
  {
    id: 'binary-vec4-div-swapped', file: 'shaders/elementwise/binary_vec4.wgsl',
    search: 'if (OP == OP_DIV) { return u / v; }', replace: 'if (OP == OP_DIV) { return v / u; }',
    why: 'the vec4 path of div swaps its operands', tests: BINARY_VEC4, grep: 'div',
  },
  {
    id: 'binary-vec4-less-equal-tie', file: 'shaders/elementwise/binary_vec4.wgsl',
    search: 'if (OP == OP_LESS_EQUAL) { return select(zero, one, u <= v); }', replace: 'if (OP == OP_LESS_EQUAL) { return select(zero, one, u < v); }',
    why: 'the vec4 path of lessEqual loses its tie', tests: BINARY_VEC4, grep: 'lessEqual',
  },
  {
    id: 'where-branches-swapped', file: 'shaders/elementwise/where.wgsl',
    search: 'out[i] = select(b[bi], a[ai], (c & 0x7fffffffu) != 0u);', replace: 'out[i] = select(a[ai], b[bi], (c & 0x7fffffffu) != 0u);',
    why: 'where picks b where the condition holds', tests: ELEMENTWISE,
  },
  {
    id: 'where-negative-zero', file: 'shaders/elementwise/where.wgsl',
    search: '(c & 0x7fffffffu) != 0u', replace: 'c != 0u',
    why: 'a condition of −0.0 counts as true', tests: ELEMENTWISE,
  },
  // reductions
  {
    id: 'argmax-tie-last', file: 'shaders/reduce/argmax.wgsl',
    search: '(v == best_value[t] && i < best_index[t])', replace: '(v == best_value[t] && i > best_index[t])',
    why: 'argmax keeps the last index on ties across lanes', tests: LOSS, grep: 'argmax',
  },
  {
    id: 'argmax-lane-tie', file: 'shaders/reduce/argmax.wgsl',
    search: 'if (v > value || index == 0xffffffffu) { value = v; index = k; }', replace: 'if (v >= value || index == 0xffffffffu) { value = v; index = k; }',
    why: 'within a lane, a tie moves argmax to the later index', tests: LOSS, grep: 'argmax',
  },
  {
    id: 'argmax-base-stride', file: 'shaders/reduce/argmax.wgsl',
    search: 'let v = x[base + k * params.inner];', replace: 'let v = x[base + k];',
    why: 'argmax over a non-last axis reads contiguous elements instead of striding by inner', tests: LOSS, grep: 'argmax',
  },
  {
    id: 'reduce-min-identity', file: 'shaders/reduce/reduce.wgsl',
    search: 'if (OP == OP_MIN) { return F32_MAX; }', replace: 'if (OP == OP_MIN) { return 0.0; }',
    why: "min's identity 0 (wrong on all-positive data)", tests: REDUCE, grep: 'min',
  },
  {
    id: 'reduce-mean-divisor', file: 'shaders/reduce/reduce.wgsl',
    search: 'if (OP == OP_MEAN) { total /= f32(params.reduce_size); }', replace: 'if (OP == OP_MEAN) { total /= f32(params.reduce_size + 1u); }',
    why: 'mean divides by n + 1 on the strided path', tests: [...REDUCE, ...KERNELS], grep: 'mean',
  },
  {
    id: 'reduce-tree-stride', file: 'shaders/reduce/reduce.wgsl',
    search: 'for (var stride = LANES / 2u; stride > 0u; stride /= 2u) {', replace: 'for (var stride = LANES / 2u; stride > 1u; stride /= 2u) {',
    why: "the strided reduction's tree stops one level early, dropping lane 1", tests: REDUCE, grep: 'sum',
  },
  {
    id: 'reduce-rows-unrolled-bound', file: 'shaders/reduce/reduce_rows.wgsl',
    search: 'for (; i + 3u * WG < end; i += 4u * WG) {', replace: 'for (; i + 4u * WG < end; i += 4u * WG) {',
    why: 'off-by-one bound of the unrolled loop (the tail loop still covers it: a performance-only change)', tests: REDUCE, grep: 'sum',
  },
  {
    id: 'reduce-rows-dropped-acc3', file: 'shaders/reduce/reduce_rows.wgsl',
    search: 'partial[t] = combine(combine(acc0, acc1), combine(acc2, acc3));', replace: 'partial[t] = combine(combine(acc0, acc1), acc2);',
    why: 'the fourth accumulator is dropped', tests: REDUCE, grep: 'sum',
  },
  {
    id: 'reduce-rows-chunk-end', file: 'shaders/reduce/reduce_rows.wgsl',
    search: 'let end = min(begin + params.chunk, params.cols);', replace: 'let end = min(begin + params.chunk, params.cols - 1u);',
    why: 'off by one: the last column of each row is never read', tests: REDUCE, grep: 'sum',
  },
  // softmax and losses
  {
    id: 'softmax-no-max-shift', file: 'shaders/loss/softmax.wgsl',
    search: 'for (var c = t; c < params.cols; c += WG) { m = max(m, x[base + c]); }', replace: 'for (var c = t; c < params.cols; c += WG) { m = max(m, 0.0); }',
    why: 'softmax shifts by 0 instead of the row max (overflows on large logits)', tests: LOSS, grep: 'softmax|1e4',
  },
  {
    id: 'log-softmax-dropped-log', file: 'shaders/loss/softmax.wgsl',
    search: 'out[base + c] = z - log_s;', replace: 'out[base + c] = z;',
    why: 'logSoftmax drops the log-sum term', tests: LOSS, grep: 'logSoftmax',
  },
  {
    id: 'softmax-grad-dropped-total', file: 'shaders/loss/softmax_grad.wgsl',
    search: 'dx[i] = y[i] * (dy[i] - total);', replace: 'dx[i] = y[i] * dy[i];',
    why: "softmax's backward drops the Σ dy·y term", tests: LOSS, grep: 'softmax',
  },
  {
    id: 'sce-sparse-label-first-class', file: 'shaders/loss/softmax_cross_entropy.wgsl',
    search: 'out[row] = (m - logits[base + u32(label)]) + log_s;', replace: 'out[row] = (m - logits[base]) + log_s;',
    why: 'sparse cross-entropy always reads class 0 (invisible if every label is 0)', tests: [...LOSS, 'tests/layers/fit-reference.test.ts'],
  },
  {
    id: 'sce-sparse-label-bound', file: 'shaders/loss/softmax_cross_entropy.wgsl',
    search: 'if (label < 0 || u32(label) >= params.classes) {', replace: 'if (label < 0 || u32(label) > params.classes) {',
    why: 'off by one: label == classes passes the bounds check', tests: LOSS, grep: 'bad labels',
  },
  {
    id: 'sce-backward-multi-lane-probability', file: 'shaders/loss/softmax_cross_entropy.wgsl',
    search: 'if (OP == OP_SPARSE) { return select(0.0, 1.0, bitcast<i32>(labels[row]) == i32(c)); }',
    replace: 'if (OP == OP_SPARSE) { return select(0.0, 1.0, bitcast<i32>(labels[row]) == i32(c % 16u)); }',
    why: 'the sparse gradient matches labels modulo 16 (only classes ≥ 16 with a label ≥ 16 show it)', tests: LOSS, grep: 'softmaxCrossEntropy',
  },
  // movement
  {
    id: 'gather-outer-stride', file: 'shaders/movement/gather.wgsl',
    search: 'out[i] = x[(outer * params.axis_size + u32(index)) * params.inner + inner];', replace: 'out[i] = x[(outer * params.num_indices + u32(index)) * params.inner + inner];',
    why: 'gather strides the outer axis by the index count instead of the axis size', tests: MOVEMENT, grep: 'gather',
  },
  {
    id: 'gather-upper-bound', file: 'shaders/movement/gather.wgsl',
    search: 'if (index < 0 || u32(index) >= params.axis_size) {', replace: 'if (index < 0 || u32(index) > params.axis_size) {',
    why: 'off by one: index == axis size reads past the row', tests: MOVEMENT,
  },
  {
    id: 'gather-grad-first-only', file: 'shaders/movement/gather_grad.wgsl',
    search: 'if (indices[j] == i32(r)) { acc += dy[(outer * params.num_indices + j) * params.inner + inner]; }',
    replace: 'if (indices[j] == i32(r)) { acc = dy[(outer * params.num_indices + j) * params.inner + inner]; }',
    why: "gather's backward keeps the last repeated index's gradient instead of summing them", tests: MOVEMENT, grep: 'gather',
  },
  {
    id: 'one-hot-depth-index', file: 'shaders/movement/one_hot.wgsl',
    search: 'indices[i / params.depth] == i32(i % params.depth)', replace: 'indices[i % params.depth] == i32(i / params.depth)',
    why: 'oneHot swaps the row and class coordinates', tests: MOVEMENT, grep: 'one-hot|oneHot',
  },
  {
    id: 'copy-dst-offset', file: 'shaders/movement/copy.wgsl',
    search: 'let dst_index = params.dst_offset + strided_offset(', replace: 'let dst_index = strided_offset(',
    why: 'a copy into a concat/pad destination ignores its offset', tests: MOVEMENT, grep: 'concat|pad',
  },
  // convolution and pooling
  {
    id: 'im2col-hw-swapped', file: 'shaders/conv/im2col.wgsl',
    search: 'value = x[((n * params.H + u32(ih)) * params.W + u32(iw)) * params.C + c];', replace: 'value = x[((n * params.W + u32(iw)) * params.H + u32(ih)) * params.C + c];',
    why: 'im2col reads x with H and W swapped (invisible on square inputs)', tests: CONV,
  },
  {
    id: 'im2col-dilation-dropped', file: 'shaders/conv/im2col.wgsl',
    search: 'let iw = i32(ow * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);', replace: 'let iw = i32(ow * params.stride_w + kw) - i32(params.pad_left);',
    why: 'im2col ignores the dilation along W', tests: CONV,
  },
  {
    id: 'col2im-stride-check', file: 'shaders/conv/col2im.wgsl',
    search: 'if (tw < 0 || u32(tw) % params.stride_w != 0u) { continue; }', replace: 'if (tw < 0) { continue; }',
    why: 'col2im adds patches from positions the W stride skips', tests: CONV,
  },
  {
    id: 'conv2d-pad-top-for-left', file: 'shaders/conv/conv2d.wgsl',
    search: 'let iw = i32((ow0 + p) * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);',
    replace: 'let iw = i32((ow0 + p) * params.stride_w + kw * params.dilation_w) - i32(params.pad_top);',
    why: 'direct conv2d pads the left by the top padding (invisible when they are equal)', tests: CONV,
  },
  {
    id: 'conv2d-bias-channel', file: 'shaders/conv/conv2d.wgsl',
    search: 'out[out_base + co0 + j] = epilogue(acc[2u * p + j / 4u][j % 4u], co0 + j);', replace: 'out[out_base + co0 + j] = epilogue(acc[2u * p + j / 4u][j % 4u], co0);',
    why: "every channel of a block gets its first channel's bias", tests: CONV,
  },
  {
    id: 'conv2d-input-grad-stride', file: 'shaders/conv/conv2d_input_grad.wgsl',
    search: 'inside[p] = tw >= 0 && u32(tw) % params.stride_w == 0u && ow < params.OW;', replace: 'inside[p] = tw >= 0 && ow < params.OW;',
    why: "conv2d's input gradient ignores the W stride's holes", tests: CONV,
  },
  {
    id: 'conv2d-filter-grad-kw-kh', file: 'shaders/conv/conv2d_filter_grad.wgsl',
    search: 'let kw = tap % params.KW;\n  let kh = tap / params.KW;', replace: 'let kw = tap / params.KH;\n  let kh = tap % params.KH;',
    why: "the filter gradient's tap decomposes as (kw, kh) (invisible for square kernels)", tests: CONV,
  },
  {
    id: 'pool2d-hw-swapped', file: 'shaders/conv/pool2d.wgsl',
    search: 'let iw = i32(ow * params.stride_w + kw) - i32(params.pad_left);', replace: 'let iw = i32(ow * params.stride_h + kw) - i32(params.pad_top);',
    why: 'pooling uses the H stride and top padding along W (invisible for square windows and equal paddings)', tests: CONV,
  },
  {
    id: 'pool2d-avg-counts-padding', file: 'shaders/conv/pool2d.wgsl',
    search: 'out[i] = total / f32(max(count, 1u));', replace: 'out[i] = total / f32(params.KH * params.KW);',
    why: "average pooling counts padded positions (TF's 'same' convention excludes them)", tests: CONV,
  },
  {
    id: 'pool2d-grad-tie-last', file: 'shaders/conv/pool2d_grad.wgsl',
    search: 'if (best_index == 0xffffffffu || x[index] > best) { best = x[index]; best_index = index; }',
    replace: 'if (best_index == 0xffffffffu || x[index] >= best) { best = x[index]; best_index = index; }',
    why: "max pooling's gradient goes to the last tied element instead of the first", tests: CONV,
  },
  {
    id: 'pool2d-grad-windows-avg-share', file: 'shaders/conv/pool2d_grad_windows.wgsl',
    search: 'let share = g / f32(max(count, 1u));', replace: 'let share = g;',
    why: "the non-overlapping average pool's gradient is not divided by the window's count", tests: CONV,
  },
  {
    id: 'translate-direction', file: 'shaders/conv/translate.wgsl',
    search: 'let iw = i32(w) - params.direction * shifts[2u * n + 1u];', replace: 'let iw = i32(w) + params.direction * shifts[2u * n + 1u];',
    why: 'translate moves along W the wrong way', tests: CONV,
  },
  // matmul
  {
    id: 'matmul-trans-b-index', file: 'shaders/matmul/matmul.wgsl',
    search: 'if (params.trans_b != 0u) { return b[base + n * params.K + k]; }', replace: 'if (params.trans_b != 0u) { return b[base + k * params.N + n]; }',
    why: 'the tiled GEMM ignores transposeB', tests: GEMM, grep: 'reference matmul ',
  },
  {
    id: 'matmul-epilogue-bias-row', file: 'shaders/matmul/matmul.wgsl',
    search: 'out[out_base + row * params.N + col] = epilogue(acc[i][j], col);', replace: 'out[out_base + row * params.N + col] = epilogue(acc[i][j], row % params.N);',
    why: 'the tiled GEMM adds the bias by row instead of by column', tests: GEMM, grep: 'reference matmul ',
  },
  // optimizers
  {
    id: 'optim-adam-bias2', file: 'shaders/optim/optimizer_step.wgsl',
    search: 'theta -= lr * (s * params.bias1) / (sqrt(r * params.bias2) + params.epsilon);', replace: 'theta -= lr * (s * params.bias1) / (sqrt(r) + params.epsilon);',
    why: "Adam drops the second moment's bias correction", tests: OPTIM,
  },
  {
    id: 'optim-nesterov-lookahead', file: 'shaders/optim/optimizer_step.wgsl',
    search: 'theta += select(v, params.momentum * v - lr * g, OP == OP_NESTEROV);', replace: 'theta += v;',
    why: 'Nesterov steps as plain momentum', tests: OPTIM,
  },
  {
    id: 'optim-adamw-decay-coupled', file: 'shaders/optim/optimizer_step.wgsl',
    search: 'if (OP != OP_ADAMW) { g += params.weight_decay * theta; }', replace: 'g += params.weight_decay * theta;',
    why: 'AdamW also adds its decay to the gradient (coupled and decoupled at once)', tests: OPTIM,
  },
  {
    id: 'clip-scale-never-clips', file: 'shaders/optim/clip_scale.wgsl',
    search: 'min(1.0, params.clip_norm / norm)', replace: 'max(1.0, params.clip_norm / norm)',
    why: 'clipNorm scales small gradients up instead of large ones down', tests: OPTIM,
  },
  // random
  {
    id: 'random-bernoulli-tie', file: 'shaders/random/random.wgsl',
    search: 'out[i] = select(0.0, 1.0, u0 < params.a);', replace: 'out[i] = select(0.0, 1.0, u0 <= params.a);',
    why: 'bernoulli keeps u == p (probability off by 2⁻²⁴; no test can see it: equivalent in practice)', tests: RANDOM,
  },
];
