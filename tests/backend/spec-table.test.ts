// The spec table itself: one entry per op of core's opTable, no spec without a case, and every
// `coveredBy` naming a test file that exists and holds the named describe titles.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { OP_NAMES } from '@webgrad/core';
import { isCoveredBy } from '../kernel-spec.js';
import { specTable } from './spec-table.js';

describe('the spec table', () => {
  it('has an entry for every op of opTable and no other', () => {
    expect(Object.keys(specTable).sort()).to.deep.equal([...OP_NAMES].sort());
  });

  it('gives every op at least one spec with at least one case, or names what covers it', () => {
    for (const [op, entry] of Object.entries(specTable)) {
      if (isCoveredBy(entry)) continue;
      expect(entry.length, `${op}: specs`).to.be.above(0);
      for (const spec of entry) expect(spec.cases.length, `${op} / ${spec.name}: cases`).to.be.above(0);
    }
  });

  it('names coverage that exists: the file, and each describe title in it', () => {
    for (const [op, entry] of Object.entries(specTable)) {
      if (!isCoveredBy(entry)) continue;
      const [file, ...titles] = entry.coveredBy.split(' > ');
      expect(existsSync(file), `${op}: ${file} exists`).to.equal(true);
      const source = readFileSync(file, 'utf8');
      for (const title of titles) {
        const declared = [`describe('${title}'`, `describe("${title}"`, `describe(\`${title}\``].some((d) =>
          source.includes(d),
        );
        expect(declared, `${op}: ${file} declares describe('${title}')`).to.equal(true);
      }
    }
  });
});
