// radix_scatter: pass 2 of one digit of the stable radix sort of segment keys. Key i of block b with
// digit d goes to slot offsets[d · blocks + b] (the scanned histogram) + its rank, the number of keys
// before it in its block with the same digit; its row index travels with it. Ranks keep equal digits
// in row order, so the sort is stable and, after every digit, each segment's rows lie in ascending
// row order: the order segment_reduce sums them in, the same on every run.
//
// Bindings: 0 keys_in (read), 1 perm_in (read), 2 offsets (read), 3 keys_out (read_write),
// 4 perm_out (read_write), 5 params (uniform).
// Mapping: one workgroup of 256 invocations per block of 256 keys (grid wrapped into y); each
// invocation counts its rank over the block's digits in workgroup memory.

struct Params {
  count: u32,
  shift: u32,
  blocks: u32,
}

@group(0) @binding(0) var<storage, read> keys_in: array<u32>;
@group(0) @binding(1) var<storage, read> perm_in: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> keys_out: array<u32>;
@group(0) @binding(4) var<storage, read_write> perm_out: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> digits: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let b = flat_workgroup(wid, nwg);
  let i = b * 256u + t;
  let inside = b < params.blocks && i < params.count;
  var digit = 0xffffffffu; // no key: matches no digit
  if (inside) { digit = (keys_in[i] >> params.shift) & 255u; }
  digits[t] = digit;
  workgroupBarrier();
  if (!inside) { return; }
  var rank = 0u;
  for (var j = 0u; j < t; j++) {
    if (digits[j] == digit) { rank++; }
  }
  let slot = offsets[digit * params.blocks + b] + rank;
  keys_out[slot] = keys_in[i];
  perm_out[slot] = perm_in[i];
}
