// Child process for files.test.ts: saves a model into argv[2] with every weight 1, then saves it
// again with every weight 2 but kills itself (SIGKILL, a real crash) at the point argv[3] names:
// half-way through writing the weights or model.json, or just before renaming either into place.
// Node's syncBuiltinESMExports lets the patched fs functions reach storage.ts's `import('node:fs/promises')`.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tensor, tidy } from '@webgrad/core';
import { dense, saveModel, sequential } from '@webgrad/layers';

const [dir, crashAt] = process.argv.slice(2);
const model = sequential([dense({ units: 64, inputShape: [32] }), dense({ units: 4 })], { seed: 1 });
model.build();
const saveVersion = async (k) => {
  tidy(() => model.setWeights(model.weights.map((w) => tensor(new Float32Array(w.size).fill(k), w.shape))));
  await saveModel(model, dir);
};
await saveVersion(1);

const fs = createRequire(import.meta.url)('node:fs').promises;
const { writeFile, rename } = fs;
const crash = () => process.kill(process.pid, 'SIGKILL');
let writes = 0,
  renames = 0;
fs.writeFile = async (file, data, ...rest) => {
  writes++;
  if ((crashAt === 'weights-write' && writes === 1) || (crashAt === 'json-write' && writes === 2)) {
    await writeFile(file, data.slice(0, Math.floor(data.length / 2)));
    crash();
  }
  return writeFile(file, data, ...rest);
};
fs.rename = async (from, to) => {
  renames++;
  if ((crashAt === 'weights-rename' && renames === 1) || (crashAt === 'json-rename' && renames === 2)) crash();
  return rename(from, to);
};
syncBuiltinESMExports();
await saveVersion(2);
process.stdout.write('saved 2\n');
