// `npm run demo`'s entry: `--model autoencoder` runs the autoencoder lab (autoencoder.mjs), any other
// model the MNIST classifier (mnist.mjs); each script reads the rest of the flags itself.
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { model: { type: 'string' } }, strict: false });
const models = ['mlp', 'cnn', 'autoencoder'];
if (values.model !== undefined && !models.includes(values.model)) {
  throw new Error(`--model ${values.model}: expected one of ${models.join(', ')}`);
}
if (values.model === 'autoencoder') {
  const { main } = await import('./autoencoder.mjs');
  await main(process.argv.slice(2));
} else {
  await import('./mnist.mjs');
}
