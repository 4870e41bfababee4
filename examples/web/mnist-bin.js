// The served MNIST split (serve.mjs's /mnist.bin) as the pages read it: the demo's training and test
// digits and the lab page's optimizers experiment. The file is a 16-byte header (ASCII "WGMN", then
// u32 little-endian train count, test count and pixels per digit), then each part's pixels and labels as bytes.

/** Both parts of the split: { train, test }, each { images (Float32Array in [0, 1]), labels (Int32Array), n }. */
export async function loadDigits() {
  const response = await fetch('mnist.bin');
  if (!response.ok) throw new Error(`mnist.bin: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const header = new DataView(bytes.buffer);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'WGMN') throw new Error('mnist.bin: not a webgrad MNIST file');
  const [nTrain, nTest, size] = [4, 8, 12].map((at) => header.getUint32(at, true));
  let at = 16;
  const take = (n) => {
    const images = new Float32Array(n * size); // a plain loop: Float32Array.from with a map function stalls the page for seconds
    for (let i = 0; i < images.length; i++) images[i] = bytes[at + i] / 255;
    const labels = Int32Array.from(bytes.subarray(at + n * size, at + n * size + n));
    at += n * (size + 1);
    return { images, labels, n };
  };
  return { train: take(nTrain), test: take(nTest) };
}
