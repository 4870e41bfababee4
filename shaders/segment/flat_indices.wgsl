// flat_indices: row-major flat positions of K-component int32 indices (gatherNd, scatterNd):
// out[m] = Σ_k indices[m, k] · stride_k over leading dims `dims`. An index with a component outside
// [0, dims[k]) gives −1 (gather then reads 0 and a scatter skips the row, see segment_keys) and is
// recorded in `errors` (words 8..11: count, first row, the first offending dim, caller code).
//
// Bindings: 0 indices (read, int32 [M, K]), 1 out (read_write, int32 [M]), 2 errors (read_write,
// atomics), 3 params (uniform).
// Mapping: one invocation per index row, 256 per workgroup, grid wrapped into y.

struct Params {
  count: u32,
  rank: u32,
  caller: u32,
  dims: Dims,
}

@group(0) @binding(0) var<storage, read> indices: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<storage, read_write> errors: array<atomic<u32>, 16>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let m = flat_index(gid, nwg, 256u);
  if (m >= params.count) { return; }
  var flat = 0u;
  for (var k = 0u; k < params.rank; k++) {
    let v = indices[m * params.rank + k];
    let dim = dim_at(params.dims, k);
    if (v < 0 || u32(v) >= dim) {
      atomicAdd(&errors[8], 1u);
      atomicMin(&errors[9], m);
      atomicMax(&errors[10], dim);
      atomicMax(&errors[11], params.caller);
      out[m] = -1;
      return;
    }
    flat = flat * dim + u32(v);
  }
  out[m] = i32(flat);
}
