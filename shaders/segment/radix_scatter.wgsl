// radix_scatter: pass 2 of one digit of the stable radix sort of segment keys. Key i of block b with
// digit d goes to slot offsets[d · blocks + b] (the scanned histogram) + its rank, the number of keys
// before it in its block with the same digit; its row index travels with it. Ranks keep equal digits
// in row order, so the sort is stable and, after every digit, each segment's rows lie in ascending
// row order: the order segment_reduce sums them in, the same on every run.
//
// Bindings: 0 keys_in (read), 1 perm_in (read), 2 offsets (read), 3 keys_out (read_write),
// 4 perm_out (read_write), 5 params (uniform).
// Mapping: one workgroup of 256 invocations per block of 256 keys (grid wrapped into y). The block's
// digits are packed four to a word in workgroup memory, and each invocation counts its rank over the
// words before it, four digits at a time: in each word XORed with its digit repeated, a zero byte is a
// match, found exactly by ~(((v & 0x7f7f7f7f) + 0x7f7f7f7f) | v | 0x7f7f7f7f), whose set bits are the
// zero bytes' high bits.

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

var<workgroup> packed: array<atomic<u32>, 64>;

// How many bytes of v are zero.
fn zero_bytes(v: u32) -> u32 {
  return countOneBits(~(((v & 0x7f7f7f7fu) + 0x7f7f7f7fu) | v | 0x7f7f7f7fu));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let b = flat_workgroup(wid, nwg);
  let i = b * 256u + t;
  let inside = b < params.blocks && i < params.count;
  if (t < 64u) { atomicStore(&packed[t], 0u); }
  workgroupBarrier();
  var digit = 0u;
  if (inside) {
    digit = (keys_in[i] >> params.shift) & 255u;
    atomicOr(&packed[t / 4u], digit << (8u * (t % 4u)));
  }
  workgroupBarrier();
  if (!inside) { return; }
  let pattern = digit * 0x01010101u;
  var rank = 0u;
  for (var w = 0u; w < t / 4u; w++) {
    rank += zero_bytes(atomicLoad(&packed[w]) ^ pattern);
  }
  // the bytes of this invocation's own word that come before it
  let before = t % 4u;
  if (before > 0u) {
    let mask = (1u << (8u * before)) - 1u;
    rank += zero_bytes((atomicLoad(&packed[t / 4u]) ^ pattern) | ~mask);
  }
  let slot = offsets[digit * params.blocks + b] + rank;
  keys_out[slot] = keys_in[i];
  perm_out[slot] = perm_in[i];
}
