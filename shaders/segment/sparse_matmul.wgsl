// sparse_matmul: a CSR sparse matrix times a dense one, out[r, c] = Σ_p values[p] · dense[col_idx[p], c]
// over the stored entries p of row r (row_ptr[r] .. row_ptr[r + 1]), summed in stored order by one
// invocation: deterministic. Row pointers are clamped to [0, nnz] (a decreasing pair is an empty row);
// a column index outside [0, cols) is skipped and recorded in `errors` (words 8..11: count, first
// entry, cols, caller code), reported at the next readback.
//
// Bindings: 0 row_ptr (read, int32 [rows + 1]), 1 col_idx (read, int32 [nnz]), 2 vals (read, [nnz]),
// 3 dense (read, [cols, K]), 4 out (read_write, [rows, K]), 5 errors (read_write, atomics),
// 6 params (uniform).
// Mapping: one invocation per output element, 256 per workgroup, grid wrapped into y; neighbouring
// invocations take neighbouring columns, so each dense row is read contiguously.

struct Params {
  size: u32,
  k: u32,
  cols: u32,
  nnz: u32,
  caller: u32,
}

@group(0) @binding(0) var<storage, read> row_ptr: array<i32>;
@group(0) @binding(1) var<storage, read> col_idx: array<i32>;
@group(0) @binding(2) var<storage, read> vals: array<f32>;
@group(0) @binding(3) var<storage, read> dense: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> errors: array<atomic<u32>, 16>;
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let c = i % params.k;
  let r = i / params.k;
  let begin = u32(clamp(row_ptr[r], 0, i32(params.nnz)));
  let end = u32(clamp(row_ptr[r + 1u], 0, i32(params.nnz)));
  var acc = 0.0;
  for (var p = begin; p < end; p++) {
    let col = col_idx[p];
    if (col < 0 || u32(col) >= params.cols) {
      if (c == 0u) { // once per bad entry, not once per column
        atomicAdd(&errors[8], 1u);
        atomicMin(&errors[9], p);
        atomicMax(&errors[10], params.cols);
        atomicMax(&errors[11], params.caller);
      }
      continue;
    }
    acc += vals[p] * dense[u32(col) * params.k + c];
  }
  out[i] = acc;
}
