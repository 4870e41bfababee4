// scan_exclusive: data[i] ← data[0] + … + data[i − 1] in place, over u32 counts (the radix sort's
// histogram). One workgroup does it all: invocation t sums its own run of ⌈count / 256⌉ consecutive
// elements, the workgroup scans those 256 totals (Hillis–Steele in workgroup memory), then each
// invocation rewrites its run with running prefixes. Integer adds, so the result is exact.
//
// Bindings: 0 data (read_write), 1 params (uniform).
// Mapping: a single workgroup of 256 invocations.

struct Params {
  count: u32,
}

@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

var<workgroup> totals: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  let run = (params.count + 255u) / 256u;
  let begin = min(t * run, params.count);
  let end = min(begin + run, params.count);
  var total = 0u;
  for (var i = begin; i < end; i++) { total += data[i]; }
  totals[t] = total;
  workgroupBarrier();
  for (var offset = 1u; offset < 256u; offset *= 2u) {
    var below = 0u;
    if (t >= offset) { below = totals[t - offset]; }
    workgroupBarrier();
    totals[t] += below;
    workgroupBarrier();
  }
  var running = totals[t] - total;
  for (var i = begin; i < end; i++) {
    let v = data[i];
    data[i] = running;
    running += v;
  }
}
