// The consumer check inside npm test: scripts/check-consumer.mjs packs the three packages, installs the
// tarballs into throwaway Node and browser apps, type-checks them with skipLibCheck false under
// TypeScript 5.9 and 7.0, bundles the browser app, trains in Node and in headless Chromium, and runs the
// READMEs' examples (the custom kernel passing the harness, its off-by-one twin failing it).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const script = fileURLToPath(new URL('../../scripts/check-consumer.mjs', import.meta.url));

describe('the packages as an outside developer installs them (scripts/check-consumer.mjs)', () => {
  it("type-check with no errors on every TypeScript/module/lib setting, train in Node and Chromium, run the READMEs' code", function () {
    this.timeout(600_000);
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 590_000 });
    const output = `${run.stdout}${run.stderr}`;
    const lines = output.split('\n').filter((line) => line.startsWith('[consumer]'));
    expect(run.status, output).to.equal(0);
    const typeChecks = lines.filter((line) => /TypeScript \d/.test(line));
    expect(
      typeChecks.filter((line) => /TypeScript 5\./.test(line)),
      'TypeScript 5 settings',
    ).to.have.length(5);
    expect(
      typeChecks.filter((line) => /TypeScript 7\./.test(line)),
      'TypeScript 7 settings',
    ).to.have.length(4);
    typeChecks.forEach((line) => expect(line).to.match(/: 0 errors/));
    expect(output).to.match(/trained in the Node app: .*loss [\d.]+ -> [\d.]+/);
    expect(output).to.match(/swish\.mjs: as expected: swish passes checkKernel/);
    expect(output).to.match(/swish-off-by-one\.mjs: as expected: element \d+ is NaN/);
    expect(output).to.match(/Chromium, the README's import-map page: WebGPU/);
    expect(output).to.match(/all passed/);
    console.log(`      ${lines.filter((line) => /import-map|fresh profile|all passed/.test(line)).join('\n      ')}`);
  });
});
