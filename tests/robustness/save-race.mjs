// Child process for files.test.ts: saves a model whose every weight is argv[3] into the folder argv[2],
// then loads the folder back, argv[4] times in a row, while a sibling process does the same with its
// own value. Every load must give one of the two models whole; prints a JSON tally of what the loads saw.
import { tensor, tidy } from '@webgrad/core';
import { dense, loadModel, saveModel, sequential } from '@webgrad/layers';

const [dir, value, rounds] = process.argv.slice(2);
const own = Number(value);
const model = sequential([dense({ units: 64, inputShape: [32] }), dense({ units: 4 })], { seed: own });
model.build();
tidy(() => model.setWeights(model.weights.map((w) => tensor(new Float32Array(w.size).fill(own), w.shape))));
const tally = { loads: 0, own: 0, other: 0, mixed: 0, errors: [] };
for (let round = 0; round < Number(rounds); round++) {
  try {
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    const values = (await Promise.all(loaded.weights.map(async (w) => Array.from(await w.data())))).flat();
    loaded.dispose();
    tally.loads++;
    if (values.every((v) => v === own)) tally.own++;
    else if (values.every((v) => v === values[0])) tally.other++;
    else tally.mixed++;
  } catch (error) {
    tally.errors.push(`round ${round}: ${error.message}`);
  }
}
process.stdout.write(JSON.stringify(tally));
