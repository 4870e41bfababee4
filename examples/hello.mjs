// The smallest program: fits y = 3x - 1 by gradient descent on the WebGPU backend with nothing but
// core ops and autodiff, printing the adapter and the learned parameters. `node examples/hello.mjs`
import { add, getBackend, grad, mean, mul, randomUniform, scalar, setBackend, square, sub, tidy } from '@webgrad/core';
import '@webgrad/webgpu';

const backend = await setBackend('webgpu');
console.log(`backend: ${getBackend()} — ${backend.describe()}`);

const x = randomUniform([256, 1], -1, 1, { seed: 1 });
const y = add(mul(x, 3), -1);
let w = scalar(0),
  b = scalar(0);
const loss = (w, b) => mean(square(sub(add(mul(x, w), b), y)));
for (let step = 1; step <= 200; step++) {
  const [gw, gb] = grad(loss)(w, b);
  const [nw, nb] = tidy(() => [sub(w, mul(gw, 0.5)), sub(b, mul(gb, 0.5))]);
  [w, b, gw, gb].forEach((t) => t.dispose());
  [w, b] = [nw, nb];
  if (step % 50 === 0) console.log(`step ${step}: loss ${(await loss(w, b).data())[0].toExponential(3)}`);
}
console.log(`learned w = ${(await w.data())[0].toFixed(4)}, b = ${(await b.data())[0].toFixed(4)} (truth: 3, -1)`);
