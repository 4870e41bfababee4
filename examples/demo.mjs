// `npm run demo`'s entry: `--model autoencoder` runs the autoencoder lab (autoencoder.mjs), `vae` and
// `dcgan`, `wgan-gp` the generative labs (vae.mjs, gan.mjs, wgan-gp.mjs), `lstm` and `charlm` the
// sequence labs (lstm.mjs, charlm.mjs), `gcn` the graph lab (gcn.mjs), `transfer` the transfer-learning
// lab (transfer.mjs), any other model the MNIST classifier (mnist.mjs); each script reads the rest of the
// flags itself.
import { parseArgs } from 'node:util';
import { rerunWithStderrPipe } from '../scripts/stderr-pipe.mjs';

await rerunWithStderrPipe();

const { values } = parseArgs({ options: { model: { type: 'string' } }, strict: false });
const labs = {
  autoencoder: './autoencoder.mjs',
  vae: './vae.mjs',
  dcgan: './gan.mjs',
  'wgan-gp': './wgan-gp.mjs',
  lstm: './lstm.mjs',
  charlm: './charlm.mjs',
  gcn: './gcn.mjs',
  transfer: './transfer.mjs',
};
const models = ['mlp', 'cnn', ...Object.keys(labs)];
if (values.model !== undefined && !models.includes(values.model)) {
  throw new Error(`--model ${values.model}: expected one of ${models.join(', ')}`);
}
if (Object.hasOwn(labs, values.model ?? '')) {
  const { main } = await import(labs[values.model]);
  await main(process.argv.slice(2));
} else {
  await import('./mnist.mjs');
}
