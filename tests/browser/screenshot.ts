// Takes the README's picture of the demo page mid-training (docs/demo-web.png): the MLP on all 8,000
// digits, a 7 drawn on the pad after the first epoch, the shot half-way through the third epoch.
//   node --import tsx tests/browser/screenshot.ts [out.png]      (after the set-up has built dist/web/)
// Not a test (mocha runs *.test.ts only); imports playwright-core through chromium.ts and the server.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { startServer } from '../../examples/web/serve.mjs';
import { launchChromium } from './chromium.js';

const out = process.argv[2] ?? 'docs/demo-web.png';
const server = await startServer({ port: 0 });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  await page.goto(`${server.url}?model=mlp&autostart=1`);
  const epochsDone = (n: number) =>
    page.waitForFunction(
      (k) => ((window as unknown as { demo: { state: { epochsDone?: number } } }).demo.state.epochsDone ?? 0) >= k,
      n,
      { polling: 500, timeout: 0 },
    );
  await epochsDone(1);
  const box = (await page.locator('#pad').boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(0.3, 0.25));
  await page.mouse.down();
  for (const [fx, fy] of [
    [0.7, 0.25],
    [0.6, 0.5],
    [0.45, 0.8],
  ]) {
    await page.mouse.move(...at(fx, fy), { steps: 8 });
  }
  await page.mouse.up();
  await epochsDone(2);
  // mid-way through the third epoch: the bar half full, the ETA running
  await page.waitForFunction(
    () =>
      document.getElementById('epoch-label')!.textContent === 'Epoch 3/10' &&
      /^\s*(3\d|4\d)\/63 - ETA/.test(document.getElementById('step-line')!.textContent!),
    null,
    { polling: 250, timeout: 0 },
  );
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
