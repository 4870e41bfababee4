// `npm run lab -- <name> [flags]`: runs one of the generative labs — vae (vae.mjs) or dcgan (gan.mjs) —
// passing it the rest of the command line, which each lab reads itself.
const labs = { vae: './vae.mjs', dcgan: './gan.mjs' };
const [name, ...rest] = process.argv.slice(2);
if (!Object.hasOwn(labs, name ?? '')) {
  throw new Error(
    `npm run lab -- <name>: expected one of ${Object.keys(labs).join(', ')}, got ${JSON.stringify(name)}`,
  );
}
const { main } = await import(labs[name]);
await main(rest);
