// segment_offsets: the CSR row pointers of sorted segment keys: offsets[s] = the first position whose
// key is ≥ s, for s in [0, num_segments], by binary search. Segment s owns sorted positions
// offsets[s] .. offsets[s + 1]; keys past the last segment (bad ids) start at offsets[num_segments],
// so no segment reads them.
//
// Bindings: 0 keys (read, nondecreasing), 1 offsets (read_write, num_segments + 1), 2 params (uniform).
// Mapping: one invocation per offset, 256 per workgroup, grid wrapped into y.

struct Params {
  count: u32,
  num_segments: u32,
}

@group(0) @binding(0) var<storage, read> keys: array<u32>;
@group(0) @binding(1) var<storage, read_write> offsets: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let s = flat_index(gid, nwg, 256u);
  if (s > params.num_segments) { return; }
  var lo = 0u;
  var hi = params.count;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (keys[mid] < s) { lo = mid + 1u; } else { hi = mid; }
  }
  offsets[s] = lo;
}
