// TF.js-format saves to a folder write their weights in tensorflowjs_converter's sharded layout: files of
// at most 4 MB named group1-shard<i>of<n> (with the save's id, so the commit stays one rename), a weight
// spanning two files. Checked against the bytes set, webgrad's loader and TF.js 4.22 itself, which reads
// the folder through its own http loader (its path resolution and shard joining), fed from disk; a
// save failing before its commit, whose shards the next save clears; and the shardBytes option, for
// folders and for downloads:// (whose shards browserFiles reads back).
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { tensor, withBackend, type Tensor } from '@webgrad/core';
import { browserFiles, dense, loadModel, saveModel, sequential, type Model } from '@webgrad/layers';
import { cpu } from '../helpers.js';

interface TfTensor {
  dataSync(): Float32Array;
}
interface Tf {
  enableProdMode(): void;
  setBackend(name: string): Promise<boolean>;
  tensor(values: ArrayLike<number>, shape: number[]): TfTensor;
  loadLayersModel(
    url: string,
    options: { fetchFunc: (url: string) => Promise<Response> },
  ): Promise<{ predict(x: TfTensor): TfTensor; weights: { read(): TfTensor }[] }>;
}

const SHARD = 4 * 1024 * 1024;

/** Deterministic values in [-1, 1), so a failure reproduces. */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return -1 + (2 * s) / 2 ** 32;
  });
}

/** A model whose weights are the given deterministic values, returned with them. */
function denseModel(inputs: number, units: number): { m: Model; set: Float32Array[] } {
  const m = sequential([dense({ units, inputShape: [inputs] })]);
  m.build();
  const set = m.weights.map((w, i) =>
    values(
      w.shape.reduce((a, d) => a * d, 1),
      3 + i,
    ),
  );
  m.setWeights(m.weights.map((w, i) => tensor(set[i], w.shape)));
  return { m, set };
}

/** TF.js's http loader with a fetch that serves the folder's files (only those inside it). */
const tfLoad = (tf: Tf, dir: string) =>
  tf.loadLayersModel('http://model.test/m/model.json', {
    fetchFunc: async (url: string) => {
      const name = decodeURIComponent(new URL(url).pathname.replace(/^\/m\//, ''));
      if (name.includes('/')) return new Response(null, { status: 404 });
      return new Response(await readFile(join(dir, name)));
    },
  });

const bytesOf = (parts: Float32Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return out;
};

describe('TF.js format: sharded weights files', function () {
  let tf: Tf;
  const dirs: string[] = [];
  const onCpu = <T>(fn: () => Promise<T>) => withBackend(cpu(), fn);
  const folder = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-tfjs-shards-'));
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    const fromBench = createRequire(new URL('../../bench/package.json', import.meta.url));
    tf = fromBench('@tensorflow/tfjs') as Tf;
    tf.enableProdMode();
    await tf.setBackend('cpu');
  });
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('a model above 4 MB is written in 4 MB shards that webgrad and TF.js 4.22 read back whole', () =>
    onCpu(async () => {
      // 1024 x 1200 kernel + 1200 bias: 4,920,000 bytes, the kernel spanning the two shards
      const { m, set } = denseModel(1024, 1200);
      const dir = await folder();
      await saveModel(m, dir, { format: 'tfjs' });
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
        weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[];
      };
      expect(json.weightsManifest).to.have.length(1);
      const { paths } = json.weightsManifest[0];
      expect(paths).to.have.length(2);
      expect(paths[0]).to.match(/^group1-shard1of2-[a-z0-9-]+\.bin$/);
      expect(paths[1]).to.equal(paths[0].replace('shard1of2', 'shard2of2'));
      const total = 4 * (1024 * 1200 + 1200);
      expect(await Promise.all(paths.map(async (p) => (await stat(join(dir, p))).size))).to.deep.equal([
        SHARD,
        total - SHARD,
      ]);
      // nothing else is left in the folder: no single weights file, no temporary file, no marker
      expect((await readdir(dir)).sort()).to.deep.equal(['model.json', ...paths].sort());
      const joined = Buffer.concat(await Promise.all(paths.map((p) => readFile(join(dir, p)))));
      expect(Buffer.compare(joined, bytesOf(set))).to.equal(0);

      const back = await loadModel(dir);
      for (const [i, w] of back.weights.entries()) {
        expect(Buffer.compare(Buffer.from(bytesOf([(await w.data()) as Float32Array])), bytesOf([set[i]]))).to.equal(0);
      }

      const x = values(2 * 1024, 99);
      const ours = (await (m.predict(tensor(x, [2, 1024])) as Tensor).data()) as Float32Array;
      const theirs = await tfLoad(tf, dir);
      expect(Buffer.compare(bytesOf(theirs.weights.map((w) => w.read().dataSync())), bytesOf(set))).to.equal(0);
      const predicted = theirs.predict(tf.tensor(x, [2, 1024])).dataSync();
      expect(predicted.length).to.equal(ours.length);
      for (let i = 0; i < ours.length; i++) {
        expect(Math.abs(predicted[i] - ours[i]), `element ${i}`).to.be.at.most(1e-5 * Math.abs(ours[i]) + 1e-5);
      }
    }));

  it('a small model gives one file, group1-shard1of1; a later save replaces the shards, whatever their count', () =>
    onCpu(async () => {
      const dir = await folder();
      const small = denseModel(4, 3);
      await saveModel(small.m, dir, { format: 'tfjs' });
      const first = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
        weightsManifest: { paths: string[] }[];
      };
      const [file] = first.weightsManifest[0].paths;
      expect(first.weightsManifest[0].paths).to.have.length(1);
      expect(file).to.match(/^group1-shard1of1-[a-z0-9-]+\.bin$/);
      expect((await stat(join(dir, file))).size).to.equal(4 * (4 * 3 + 3));
      const theirs = await tfLoad(tf, dir);
      expect(Buffer.compare(bytesOf(theirs.weights.map((w) => w.read().dataSync())), bytesOf(small.set))).to.equal(0);

      // a larger model saved over it: the old shard goes once the new model.json is in place
      const large = denseModel(1024, 1200);
      await saveModel(large.m, dir, { format: 'tfjs' });
      const names = (await readdir(dir)).sort();
      expect(names).to.have.length(3);
      expect(names.filter((n) => /^group1-shard[12]of2-[a-z0-9-]+\.bin$/.test(n))).to.have.length(2);
      expect(names).to.not.include(file);
      // and webgrad's own format over that: one weights file again, the shards gone
      await saveModel(small.m, dir, { format: 'webgrad' });
      const own = (await readdir(dir)).sort();
      expect(own).to.have.length(2);
      expect(own[0]).to.equal('model.json');
      expect(own[1]).to.match(/^weights-[a-z0-9-]+\.bin$/);
      const back = await loadModel(dir);
      expect(
        Buffer.compare(
          bytesOf(await Promise.all(back.weights.map(async (w) => (await w.data()) as Float32Array))),
          bytesOf(small.set),
        ),
      ).to.equal(0);
    }));

  it("a save that fails before its commit leaves the previous model whole; the next save clears its shards, not the converter's", () =>
    onCpu(async () => {
      const dir = await folder();
      const small = denseModel(4, 3);
      await saveModel(small.m, dir, { format: 'tfjs' });
      // tensorflowjs_converter's own shard (no save id) is not a webgrad save's file
      await writeFile(join(dir, 'group1-shard1of1.bin'), new Uint8Array(8));
      const fs = createRequire(import.meta.url)('node:fs').promises as typeof import('node:fs/promises');
      const { rename } = fs;
      // model.json's rename is the commit: fail it, after both new shards were renamed into place
      fs.rename = async (from, to) => {
        if (String(to).endsWith('model.json')) throw Object.assign(new Error('disk gone'), { code: 'EIO' });
        return rename(from, to);
      };
      syncBuiltinESMExports();
      let message = '';
      try {
        await saveModel(denseModel(1024, 1200).m, dir, { format: 'tfjs' });
      } catch (error) {
        message = (error as Error).message;
      } finally {
        fs.rename = rename;
        syncBuiltinESMExports();
      }
      expect(message).to.equal('disk gone');
      const debris = (await readdir(dir)).filter((n) => /^group1-shard[12]of2-/.test(n));
      expect(debris).to.have.length(2);
      const previous = await loadModel(dir);
      expect(
        Buffer.compare(
          bytesOf(await Promise.all(previous.weights.map(async (w) => (await w.data()) as Float32Array))),
          bytesOf(small.set),
        ),
      ).to.equal(0);

      await saveModel(small.m, dir, { format: 'tfjs' });
      const names = (await readdir(dir)).sort();
      expect(names).to.have.length(3);
      expect(names).to.include.members(['group1-shard1of1.bin', 'model.json']);
      expect(names.some((n) => debris.includes(n) || n.includes('.tmp-'))).to.equal(false);
    }));

  it('shardBytes cuts a folder save into that many bytes a file, which webgrad and TF.js 4.22 read in order', () =>
    onCpu(async () => {
      // 8 x 6 kernel + 6 bias: 216 bytes, as files of 100, 100 and 16
      const { m, set } = denseModel(8, 6);
      const dir = await folder();
      await saveModel(m, dir, { shardBytes: 100 });
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
        weightsManifest: { paths: string[] }[];
      };
      const { paths } = json.weightsManifest[0];
      expect(paths.map((p) => p.replace(/^(group1-shard\d+of\d+)-[a-z0-9-]+\.bin$/, '$1'))).to.deep.equal([
        'group1-shard1of3',
        'group1-shard2of3',
        'group1-shard3of3',
      ]);
      expect(await Promise.all(paths.map(async (p) => (await stat(join(dir, p))).size))).to.deep.equal([100, 100, 16]);
      const back = await loadModel(dir);
      const ours = await Promise.all(back.weights.map(async (w) => (await w.data()) as Float32Array));
      expect(Buffer.compare(bytesOf(ours), bytesOf(set))).to.equal(0);
      const theirs = await tfLoad(tf, dir);
      expect(Buffer.compare(bytesOf(theirs.weights.map((w) => w.read().dataSync())), bytesOf(set))).to.equal(0);
      // webgrad's own layout takes the bound too (one file without it)
      await saveModel(m, dir, { shardBytes: 200, format: 'webgrad' });
      const own = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as typeof json;
      expect(own.weightsManifest[0].paths).to.have.length(2);
      const again = await loadModel(dir);
      const values = await Promise.all(again.weights.map(async (w) => (await w.data()) as Float32Array));
      expect(Buffer.compare(bytesOf(values), bytesOf(set))).to.equal(0);
      for (const bad of [0, 1.5, -4, '4']) {
        const message = await saveModel(m, dir, { shardBytes: bad as number }).then(
          () => 'no error',
          (e: Error) => e.message,
        );
        expect(message).to.equal(
          `saveModel: shardBytes is ${JSON.stringify(bad)}; expected a positive whole number of bytes`,
        );
      }
    }));

  it('downloads:// with shardBytes hands over the shards, which browserFiles loads back in order whatever the pick order', () =>
    onCpu(async () => {
      const { m, set } = denseModel(8, 6);
      // the page's side of downloads://, in Node: links whose clicks hand over blobs
      const blobs = new Map<string, Blob>();
      const saved = { document: globalThis.document, createObjectURL: URL.createObjectURL };
      const urls = new Map<string, Blob>();
      (globalThis as { document?: unknown }).document = {
        createElement: () => {
          const link = { download: '', href: '', click: () => blobs.set(link.download, urls.get(link.href)!) };
          return link;
        },
      };
      URL.createObjectURL = (blob: Blob) => {
        const url = `blob:test/${urls.size}`;
        urls.set(url, blob);
        return url;
      };
      try {
        await saveModel(m, 'downloads://digits', { shardBytes: 100 });
      } finally {
        (globalThis as { document?: unknown }).document = saved.document;
        URL.createObjectURL = saved.createObjectURL;
      }
      expect([...blobs.keys()]).to.deep.equal([
        'digits.json',
        'digits.group1-shard1of3.bin',
        'digits.group1-shard2of3.bin',
        'digits.group1-shard3of3.bin',
      ]);
      const files = await Promise.all(
        [...blobs].map(async ([name, blob]) => new File([await blob.arrayBuffer()], name)),
      );
      const picked = [files[3], files[0], files[2], files[1]];
      const back = await loadModel(browserFiles(picked));
      const ours = await Promise.all(back.weights.map(async (w) => (await w.data()) as Float32Array));
      expect(Buffer.compare(bytesOf(ours), bytesOf(set))).to.equal(0);
      const message = await loadModel(browserFiles([files[0], files[1], files[3]])).then(
        () => 'no error',
        (e: Error) => e.message,
      );
      expect(message).to.equal(
        "loadModel: digits.json names weights file 'digits.group1-shard2of3.bin', which is not among the files " +
          'given (digits.group1-shard1of3.bin, digits.group1-shard3of3.bin)',
      );
    }));
});
