// csr_row_ids: the row of each stored entry of a CSR matrix, out[p] = the last r with row_ptr[r] ≤ p
// (binary search over row_ptr, clamped to [0, rows − 1]): the COO rows sparseMatmul's backward gathers by.
//
// Bindings: 0 row_ptr (read, int32 [rows + 1]), 1 out (read_write, int32 [nnz]), 2 params (uniform).
// Mapping: one invocation per entry, 256 per workgroup, grid wrapped into y.

struct Params {
  nnz: u32,
  rows: u32,
}

@group(0) @binding(0) var<storage, read> row_ptr: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = flat_index(gid, nwg, 256u);
  if (p >= params.nnz) { return; }
  // the first r in [1, rows] with row_ptr[r] > p, minus one
  var lo = 1u;
  var hi = params.rows;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (row_ptr[mid] <= i32(p)) { lo = mid + 1u; } else { hi = mid; }
  }
  out[p] = i32(lo - 1u);
}
