// segment_keys: the first step of every segment reduction (packages/webgpu/src/ops/segment.ts). It turns
// int32 segment ids into u32 sort keys, an id outside [0, num_segments) becoming num_segments (a last
// bucket past every segment, which no output reads), and starts the row permutation as the identity.
// A bad id is recorded in `errors` (words 8..11: count, first position, num_segments, caller code; see
// packages/webgpu/src/data-errors.ts); with params.sorted = 1, a decreasing id is recorded in words
// 12..13 (first position, caller code). The next readback reports either as an error naming the op.
// Caller code 0 records nothing: a second pass over ids already checked (segmentSoftmax's sum).
//
// Bindings: 0 ids (read, int32), 1 keys (read_write), 2 perm (read_write), 3 errors (read_write,
// atomics), 4 params (uniform).
// Mapping: one invocation per row, 256 per workgroup, grid wrapped into y.

struct Params {
  count: u32,
  num_segments: u32,
  sorted: u32,
  caller: u32,
}

@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read_write> keys: array<u32>;
@group(0) @binding(2) var<storage, read_write> perm: array<u32>;
@group(0) @binding(3) var<storage, read_write> errors: array<atomic<u32>, 16>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.count) { return; }
  let id = ids[i];
  var key = params.num_segments;
  if (id >= 0 && u32(id) < params.num_segments) {
    key = u32(id);
  } else if (params.caller != 0u) {
    atomicAdd(&errors[8], 1u);
    atomicMin(&errors[9], i);
    atomicMax(&errors[10], params.num_segments);
    atomicMax(&errors[11], params.caller);
  }
  keys[i] = key;
  perm[i] = i;
  if (params.sorted == 1u && params.caller != 0u && i > 0u && ids[i - 1u] > id) {
    atomicMin(&errors[12], i);
    atomicMax(&errors[13], params.caller);
  }
}
