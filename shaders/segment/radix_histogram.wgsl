// radix_histogram: pass 1 of one digit of the stable radix sort of segment keys. Keys are cut into
// blocks of 256; hist[d · blocks + b] = how many keys of block b have digit d = (key >> shift) & 255.
// Digit-major order, so one exclusive scan of hist gives each (digit, block) its first output slot.
// The counts are integer atomics in workgroup memory: exact, so the result never varies.
//
// Bindings: 0 keys (read), 1 hist (read_write), 2 params (uniform).
// Mapping: one workgroup of 256 invocations per block (grid wrapped into y), one invocation per key.

struct Params {
  count: u32,
  shift: u32,
  blocks: u32,
}

@group(0) @binding(0) var<storage, read> keys: array<u32>;
@group(0) @binding(1) var<storage, read_write> hist: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> bins: array<atomic<u32>, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let b = flat_workgroup(wid, nwg);
  let i = b * 256u + t;
  atomicStore(&bins[t], 0u);
  workgroupBarrier();
  if (b < params.blocks && i < params.count) {
    atomicAdd(&bins[(keys[i] >> params.shift) & 255u], 1u);
  }
  workgroupBarrier();
  if (b < params.blocks) { hist[t * params.blocks + b] = atomicLoad(&bins[t]); }
}
