// Turns the cases' samples into the bench table (median and min–max per framework, webgrad's gain
// over each tfjs backend) and checks the targets against the same run. Gain > 1 means
// webgrad is better: webgrad/tfjs for rates, tfjs/webgrad for times and memory. Imports nothing.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b),
    m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));

/** The table's rows: case, the sample key, a label, the unit, and whether higher is better. */
export const ROWS = [
  ...[128, 256, 512, 1024, 2048].map((n) => ({ case: 'kernels', key: `matmul ${n}`, unit: 'GFLOP/s', higher: true })),
  ...['mlp x·W1 64×784·784×128', 'mlp h·W2 64×128·128×10', 'mlp xᵀ·dh 784×64·64×128', 'mlp dy·W2ᵀ 64×10·10×128'].map(
    (key) => ({ case: 'kernels', key, unit: 'GFLOP/s', higher: true }),
  ),
  { case: 'kernels', key: 'add 4M', label: 'add, 4M floats', unit: 'GB/s', higher: true },
  { case: 'kernels', key: 'sum 4M', label: 'sum, 4M floats', unit: 'GB/s', higher: true },
  { case: 'kernels', key: 'small op', label: 'small op (add, 1024), chained', unit: 'µs', higher: false },
  {
    case: 'kernels',
    key: 'floor one pass',
    label: 'raw Dawn floor, one pass (same process)',
    unit: 'µs',
    noGain: true,
  },
  {
    case: 'kernels',
    key: 'floor submit each',
    label: 'raw Dawn floor, submit each (same process)',
    unit: 'µs',
    noGain: true,
  },
  {
    case: 'kernels',
    key: 'small op / floor',
    label: 'small op ÷ the lower floor, pair by pair',
    unit: '×',
    noGain: true,
  },
  { case: 'mlp', key: 'fit', label: 'MLP fit', unit: 'samples/s', higher: true },
  { case: 'mlp', key: 'accuracy', label: 'MLP test accuracy, 5 epochs', unit: '%', points: true },
  { case: 'mlp', key: 'peakRss', label: 'MLP peak RSS', unit: 'MB', higher: false },
  // no framework: the digits on a bare Dawn device (shown in every WebGPU framework's column)
  {
    case: 'memory-floor',
    key: 'peakRss',
    label: 'MLP peak RSS floor: its digits on a bare Dawn device',
    unit: 'MB',
    noGain: true,
    from: 'dawn',
  },
  { case: 'mlp', key: 'predict', label: 'MLP predict', unit: 'samples/s', higher: true },
  { case: 'mlp', key: 'evaluate', label: 'MLP evaluate', unit: 'samples/s', higher: true },
  {
    case: 'mlp-custom',
    key: 'fit',
    label: 'MLP fit (alternating with a custom step)',
    unit: 'samples/s',
    higher: true,
  },
  {
    case: 'mlp-custom',
    key: 'custom step',
    label: 'MLP custom step (valueAndGrad / minimize)',
    unit: 'samples/s',
    higher: true,
  },
  { case: 'mlp-custom', key: 'custom / fit', label: 'MLP custom step ÷ fit, epoch by epoch', unit: '×', noGain: true },
  { case: 'autoencoder', key: 'fit', label: 'dense autoencoder fit', unit: 'samples/s', higher: true },
  { case: 'autoencoder', key: 'predict', label: 'dense autoencoder predict', unit: 'samples/s', higher: true },
  { case: 'autoencoder', key: 'peakRss', label: 'dense autoencoder peak RSS', unit: 'MB', higher: false },
  { case: 'lstm', key: 'fit', label: 'LSTM(128) on digit rows fit', unit: 'samples/s', higher: true },
  { case: 'lstm', key: 'accuracy', label: 'LSTM test accuracy, 3 epochs of 1,024', unit: '%', points: true },
  { case: 'lstm', key: 'peakRss', label: 'LSTM peak RSS', unit: 'MB', higher: false },
  { case: 'lstm', key: 'predict', label: 'LSTM predict', unit: 'samples/s', higher: true },
  { case: 'gru', key: 'fit', label: 'GRU(128) on digit rows fit', unit: 'samples/s', higher: true },
  { case: 'gru', key: 'accuracy', label: 'GRU test accuracy, 3 epochs of 1,024', unit: '%', points: true },
  { case: 'gru', key: 'peakRss', label: 'GRU peak RSS', unit: 'MB', higher: false },
  { case: 'gru', key: 'predict', label: 'GRU predict', unit: 'samples/s', higher: true },
  {
    case: 'lstm',
    key: 'dispatches per step',
    label: 'LSTM fit: dispatches per step (webgrad)',
    unit: '',
    noGain: true,
  },
  {
    case: 'lstm',
    key: 'recurrent dispatches per step',
    label: 'LSTM fit: recurrent kernel dispatches per step (webgrad)',
    unit: '',
    noGain: true,
  },
  { case: 'lstm', key: 'GEMM share of GPU time', label: 'LSTM fit: GEMM share of GPU time', unit: '%', noGain: true },
  {
    case: 'lstm',
    key: 'recurrent kernels share of GPU time',
    label: 'LSTM fit: recurrent kernels share of GPU time',
    unit: '%',
    noGain: true,
  },
  { case: 'gru', key: 'dispatches per step', label: 'GRU fit: dispatches per step (webgrad)', unit: '', noGain: true },
  {
    case: 'gru',
    key: 'recurrent dispatches per step',
    label: 'GRU fit: recurrent kernel dispatches per step (webgrad)',
    unit: '',
    noGain: true,
  },
  { case: 'gru', key: 'GEMM share of GPU time', label: 'GRU fit: GEMM share of GPU time', unit: '%', noGain: true },
  {
    case: 'gru',
    key: 'recurrent kernels share of GPU time',
    label: 'GRU fit: recurrent kernels share of GPU time',
    unit: '%',
    noGain: true,
  },
  { case: 'graph', key: 'gcn epoch', label: 'GCN epoch, 20k nodes / 200k edges, one step', unit: 's', higher: false },
  { case: 'graph', key: 'gcn nodes/s', label: 'GCN training', unit: 'nodes/s', higher: true },
  { case: 'graph', key: 'segment sum', label: 'segment sum 200k×32 → 20k, unsorted ids', unit: 'ms', higher: false },
  { case: 'graph', key: 'gather', label: 'gather 200k rows of 20k×32', unit: 'ms', higher: false },
  { case: 'graph', key: 'gcn train accuracy', label: 'GCN training-node accuracy', unit: '%', points: true },
  { case: 'vae', key: 'fit', label: 'VAE fit (tfjs: its minimize loop)', unit: 'samples/s', higher: true },
  { case: 'vae', key: 'peakRss', label: 'VAE peak RSS', unit: 'MB', higher: false },
  {
    case: 'dcgan',
    key: 'step',
    label: 'DCGAN step (D + G update, batch 64)',
    unit: 'samples/s',
    higher: true,
  },
  { case: 'dcgan', key: 'peakRss', label: 'DCGAN peak RSS', unit: 'MB', higher: false },
  { case: 'cnn', key: 'fit', label: 'CNN fit', unit: 'samples/s', higher: true },
  { case: 'cnn', key: 'peakRss', label: 'CNN peak RSS', unit: 'MB', higher: false },
  { case: 'cnn', key: 'predict', label: 'CNN predict', unit: 'samples/s', higher: true },
  { case: 'cnn', key: 'evaluate', label: 'CNN evaluate', unit: 'samples/s', higher: true },
  {
    case: 'cnn-im2col',
    key: 'fit',
    label: 'CNN fit, webgrad im2col+GEMM convs',
    unit: 'samples/s',
    higher: true,
    against: 'cnn',
  },
  {
    case: 'cnn-im2col',
    key: 'predict',
    label: 'CNN predict, webgrad im2col+GEMM',
    unit: 'samples/s',
    higher: true,
    against: 'cnn',
  },
];

function samplesOf(results, framework, row) {
  // a webgrad-only case is compared with the other frameworks' figures from case `against`
  const caseName = row.against && framework !== 'webgrad' ? row.against : row.case;
  if (row.from && !(framework === 'webgrad' || framework === 'tfjs-webgpu')) return undefined;
  const r = results.find((x) => x.framework === (row.from ?? framework) && x.case === caseName);
  if (!r || r.error) return undefined;
  if (row.key === 'peakRss') return [r.peakRssMB].flat(); // one sample per process
  if (row.key === 'small op / floor') return smallOpOverFloor(r);
  return r.rows?.[row.key];
}

/** The raw Dawn floor pattern with the lower median, measured in a kernels case's own process. */
function floorSamples(r) {
  const each = r.rows?.['floor submit each'],
    onePass = r.rows?.['floor one pass'];
  if (!each?.length || !onePass?.length) return undefined;
  return median(each) <= median(onePass) ? each : onePass;
}

function floorOf(r) {
  const s = floorSamples(r);
  return s && median(s);
}

/**
 * Each small-op chain ÷ the floor chain of the same round (case.mjs times a small-op chain, then one
 * chain of each floor pattern, fifteen rounds), so that each pair sees the same machine; a burst of
 * load on a shared host slows both of a pair, which the pair's ratio cancels and a ratio of the two
 * series' medians does not (a burst can fall on more of one series' samples than the other's).
 */
function smallOpOverFloor(r) {
  const floor = floorSamples(r),
    small = r.rows?.['small op'];
  return floor && small?.length === floor.length ? small.map((us, i) => us / floor[i]) : undefined;
}

const medianOf = (results, framework, row) => {
  const s = samplesOf(results, framework, row);
  return s?.length ? median(s) : undefined;
};

function cell(samples) {
  if (!samples?.length) return '—';
  const m = fmt(median(samples));
  return samples.length > 1 ? `${m} (${fmt(Math.min(...samples))}–${fmt(Math.max(...samples))})` : m;
}

function gain(row, ours, theirs) {
  if (row.noGain) return '';
  if (ours === undefined || theirs === undefined) return '—';
  if (row.points) return `${ours - theirs >= 0 ? '+' : ''}${(ours - theirs).toFixed(1)} pt`;
  return `${(row.higher ? ours / theirs : theirs / ours).toFixed(2)}×`;
}

/** webgrad's gain over each other framework, per row that has one: { label, gains: { framework: × } }. */
export function gainsOf(results, frameworks) {
  const others = frameworks.filter((f) => f !== 'webgrad');
  return ROWS.filter((row) => !row.noGain && !row.points && results.some((r) => r.case === row.case))
    .map((row) => {
      const ours = medianOf(results, 'webgrad', row);
      const gains = {};
      for (const f of others) {
        const theirs = medianOf(results, f, row);
        if (ours !== undefined && theirs !== undefined) gains[f] = row.higher ? ours / theirs : theirs / ours;
      }
      return { label: row.label ?? row.key, gains };
    })
    .filter((r) => Object.keys(r.gains).length);
}

export function renderTable(results, frameworks) {
  const others = frameworks.filter((f) => f !== 'webgrad');
  const header = [
    '',
    'unit',
    ...frameworks,
    ...(frameworks.includes('webgrad') ? others.map((f) => `gain vs ${f}`) : []),
  ];
  const lines = [header];
  for (const row of ROWS) {
    if (!results.some((r) => r.case === row.case)) continue;
    const ours = medianOf(results, 'webgrad', row);
    lines.push([
      row.label ?? row.key,
      row.unit,
      ...frameworks.map((f) => cell(samplesOf(results, f, row))),
      ...(frameworks.includes('webgrad') ? others.map((f) => gain(row, ours, medianOf(results, f, row))) : []),
    ]);
  }
  const errors = results.filter((r) => r.error).map((r) => `  ${r.framework} ${r.case}: ${r.error}`);
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  const text = lines.map((l) => `| ${widths.map((w, i) => (l[i] ?? '').padEnd(w)).join(' | ')} |`);
  text.splice(1, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  return [...text, ...(errors.length ? ['', 'could not run:', ...errors] : [])].join('\n');
}

/** The targets, each with the figures it was judged on. */
export function checkTargets(results) {
  const get = (framework, caseName, key) =>
    medianOf(
      results,
      framework,
      ROWS.find((r) => r.case === caseName && r.key === key),
    );
  const kernels = results.find((r) => r.framework === 'webgrad' && r.case === 'kernels' && !r.error);
  const floorUs = kernels ? floorOf(kernels) : undefined;
  const checks = [];
  const check = (what, value, ok) =>
    checks.push(`  ${value === undefined || Number.isNaN(value) ? 'n/a ' : ok ? 'PASS' : 'FAIL'}  ${what}`);
  const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b);
  for (const n of [512, 1024, 2048]) {
    const r = ratio(get('webgrad', 'kernels', `matmul ${n}`), get('tfjs-webgpu', 'kernels', `matmul ${n}`));
    check(`matmul ${n}: ${r?.toFixed(2)}× tfjs webgpu (target ≥ 3)`, r, r >= 3);
  }
  const small = get('webgrad', 'kernels', 'small op / floor');
  check(
    `small op: ${small?.toFixed(2)}× the raw Dawn floor (median of side-by-side pairs; ` +
      `the floor's median ${floorUs?.toFixed(1)} µs) (target ≤ 1.3)`,
    small,
    small <= 1.3,
  );
  const fitGpu = ratio(get('webgrad', 'mlp', 'fit'), get('tfjs-webgpu', 'mlp', 'fit'));
  check(`MLP fit: ${fitGpu?.toFixed(2)}× tfjs webgpu (target ≥ 4)`, fitGpu, fitGpu >= 4);
  const fitWasm = ratio(get('webgrad', 'mlp', 'fit'), get('tfjs-wasm', 'mlp', 'fit'));
  check(`MLP fit: ${fitWasm?.toFixed(2)}× tfjs wasm (target ≥ 1.0)`, fitWasm, fitWasm >= 1);
  for (const f of ['tfjs-webgpu', 'tfjs-wasm']) {
    const d = get('webgrad', 'mlp', 'accuracy') - get(f, 'mlp', 'accuracy');
    check(
      `MLP accuracy: ${d >= 0 ? '+' : ''}${d.toFixed(2)} points vs ${f} (target within ±0.5)`,
      d,
      Math.abs(d) <= 0.5,
    );
  }
  const rss = ratio(get('webgrad', 'mlp', 'peakRss'), get('tfjs-webgpu', 'mlp', 'peakRss'));
  const floor = ratio(get('webgrad', 'memory-floor', 'peakRss'), get('tfjs-webgpu', 'mlp', 'peakRss'));
  check(
    `MLP peak RSS: ${rss?.toFixed(2)} of tfjs webgpu's (target ≤ 0.5)` +
      (floor === undefined ? '' : `; the digits on a bare Dawn device, no framework: ${floor.toFixed(2)}`),
    rss,
    rss <= 0.5,
  );
  const cnn = ratio(get('webgrad', 'cnn', 'fit'), get('tfjs-webgpu', 'cnn', 'fit'));
  check(`CNN fit: ${cnn?.toFixed(2)}× tfjs webgpu (target ≥ 3)`, cnn, cnn >= 3);
  const gan = ratio(get('webgrad', 'dcgan', 'step'), get('tfjs-webgpu', 'dcgan', 'step'));
  check(`DCGAN step: ${gan?.toFixed(2)}× tfjs webgpu (target ≥ 8)`, gan, gan >= 8);
  // issue #22: the recurrent fits against TF.js on the same adapter and in wasm, at equal accuracy
  for (const [name, label] of [
    ['lstm', 'LSTM'],
    ['gru', 'GRU'],
  ]) {
    const webgpu = ratio(get('webgrad', name, 'fit'), get('tfjs-webgpu', name, 'fit'));
    check(`${label} fit: ${webgpu?.toFixed(2)}× tfjs webgpu (target ≥ 15)`, webgpu, webgpu >= 15);
    const wasm = ratio(get('webgrad', name, 'fit'), get('tfjs-wasm', name, 'fit'));
    check(`${label} fit: ${wasm?.toFixed(2)}× tfjs wasm (target ≥ 7)`, wasm, wasm >= 7);
    const d = get('webgrad', name, 'accuracy') - get('tfjs-webgpu', name, 'accuracy');
    check(
      `${label} accuracy: ${d >= 0 ? '+' : ''}${d?.toFixed(2)} points vs tfjs-webgpu (target within ±0.5)`,
      d,
      Math.abs(d) <= 0.5,
    );
  }
  const lstmRss = ratio(get('webgrad', 'lstm', 'peakRss'), get('tfjs-webgpu', 'lstm', 'peakRss'));
  check(`LSTM peak RSS: ${lstmRss?.toFixed(2)} of tfjs webgpu's (target ≤ 0.5)`, lstmRss, lstmRss <= 0.5);
  const custom = get('webgrad', 'mlp-custom', 'custom / fit');
  check(`MLP custom step: ${custom?.toFixed(2)}× fit's samples/s (target ≥ 0.9)`, custom, custom >= 0.9);
  return ['targets (this run):', ...checks].join('\n');
}
