// Set-up for a fresh clone on a fresh machine, run before `npm test` and `npm run demo`.
// 1. installs the workspace with a pinned pnpm (through npx: corepack is not relied on),
// 2. builds the packages (shader bundle + tsc -b, both incremental),
// 3. makes sure a WebGPU adapter exists; on Debian as root without one it installs Mesa's lavapipe
//    Vulkan driver (bookworm's Mesa 22.3 is too old for Dawn, so bookworm takes it from backports),
// 4. makes sure Chromium exists for the browser test (tests/browser/); on Debian as root it installs
//    Debian's `chromium` package, and elsewhere stops and says what to install,
// 5. makes sure the char LM lab's corpus exists (Debian's `fortunes` package, English text); on Debian
//    as root it installs it, and elsewhere says what to install without stopping (only that lab needs it),
// 6. makes sure a Python virtual environment with Keras 3 on JAX exists for the interop tests (cached
//    outside the clone, created once from scripts/keras-interop/requirements.txt through pip's index),
// 7. builds the browser bundle (scripts/build-web.mjs: esbuild, under a second).
// Idempotent and quiet when everything is already in place. Imports only Node built-ins (and
// keras-interop/venv.mjs, which does too).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKerasVenv } from './keras-interop/venv.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM = 'pnpm@10.34.8';
const say = (msg) => console.log(`[setup] ${msg}`);
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

function installWorkspace() {
  const manifests = [
    'package.json',
    'pnpm-lock.yaml',
    'pnpm-workspace.yaml',
    'packages/core/package.json',
    'packages/webgpu/package.json',
    'packages/layers/package.json',
    'examples/package.json',
    'bench/package.json',
  ].filter((f) => existsSync(join(root, f)));
  const hash = createHash('sha256');
  for (const f of manifests) hash.update(f).update(readFileSync(join(root, f)));
  const digest = hash.digest('hex');
  const stamp = join(root, 'node_modules', '.webgrad-install');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  say(`installing the workspace with ${PNPM}`);
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) && process.env.CI ? ['--frozen-lockfile'] : [];
  run('npx', ['--yes', PNPM, 'install', '--reporter=silent', ...frozen]);
  writeFileSync(stamp, digest);
}

function build() {
  run('node', ['scripts/bundle-shaders.mjs']);
  const tsc = join(root, 'node_modules/.bin/tsc');
  run(tsc, ['-b', 'packages/core', 'packages/webgpu', 'packages/layers']);
  run(tsc, ['-p', 'tests']); // type-checks the tests, which mocha runs through tsx untyped
  run('node', ['scripts/build-web.mjs']);
}

// The browser test drives Debian's Chromium through playwright-core (Playwright's own browser download
// needs a network this project cannot count on); WEBGRAD_CHROMIUM names another binary.
function ensureChromium() {
  const binary = process.env.WEBGRAD_CHROMIUM ?? '/usr/bin/chromium';
  if (existsSync(binary)) return;
  if (process.env.WEBGRAD_CHROMIUM) throw new Error(`WEBGRAD_CHROMIUM names ${binary}, which does not exist`);
  const os = osRelease();
  if (os.ID !== 'debian' || process.getuid?.() !== 0) {
    throw new Error(
      `No Chromium at ${binary}: the browser test (tests/browser/) needs one. Install Chromium ` +
        '(Debian/Ubuntu: apt-get install chromium) or set WEBGRAD_CHROMIUM to a Chromium/Chrome binary, then run this again.' +
        (os.ID === 'debian' ? '\nThis set-up can install it itself when run as root.' : ''),
    );
  }
  say("no Chromium for the browser test: installing Debian's chromium package");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['-qq', 'update'], { env });
  run('apt-get', ['-qq', '-y', 'install', '--no-install-recommends', 'chromium'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!existsSync(binary)) throw new Error(`apt-get installed chromium, but ${binary} is still missing`);
}

// `npm run demo -- --model charlm` trains on the fortune cookie files of Debian's `fortunes` package:
// real English text that a package installs, so nothing is downloaded at run time.
function ensureFortunes() {
  const corpus = '/usr/share/games/fortunes/literature';
  if (existsSync(corpus)) return;
  if (osRelease().ID !== 'debian' || process.getuid?.() !== 0) {
    say(`no ${corpus}: the char LM lab (--model charlm) needs Debian's fortunes package (apt-get install fortunes)`);
    return;
  }
  say("no corpus for the char LM lab: installing Debian's fortunes package");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['-qq', 'update'], { env });
  run('apt-get', ['-qq', '-y', 'install', '--no-install-recommends', 'fortunes'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!existsSync(corpus)) throw new Error(`apt-get installed fortunes, but ${corpus} is still missing`);
}

// Asks Dawn for an adapter in a child process, so a crash in the native module cannot take us down.
// It lives in packages/webgpu because only that package depends on `webgpu`.
let lastProbeError = '';
function probeAdapter() {
  const r = spawnSync('node', [join(root, 'packages/webgpu/scripts/probe-adapter.mjs')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  lastProbeError = r.stderr.trim();
  return r.status === 0 ? r.stdout.trim() : null;
}

function osRelease() {
  if (!existsSync('/etc/os-release')) return {};
  return Object.fromEntries(
    readFileSync('/etc/os-release', 'utf8')
      .split('\n')
      .map((l) => l.match(/^(\w+)=("?)(.*)\2$/))
      .filter(Boolean)
      .map((m) => [m[1], m[3]]),
  );
}

function installLavapipe() {
  const os = osRelease();
  const isRoot = process.getuid?.() === 0;
  if (os.ID !== 'debian' || !isRoot) {
    throw new Error(
      'No WebGPU adapter found. webgrad runs on Dawn (the `webgpu` npm package), which needs a Vulkan driver.\n' +
        'Install a GPU Vulkan driver, or the CPU one, Mesa lavapipe >= 24 (Debian/Ubuntu: mesa-vulkan-drivers;\n' +
        'Debian bookworm: from bookworm-backports; Fedora: mesa-vulkan-drivers), then run this again.' +
        (os.ID === 'debian' ? '\nThis set-up can install it itself when run as root.' : ''),
    );
  }
  const codename = os.VERSION_CODENAME;
  const suite = codename === 'bookworm' ? 'bookworm-backports' : null;
  say(`no WebGPU adapter: installing Mesa's lavapipe Vulkan driver${suite ? ` from ${suite}` : ''}`);
  if (suite) {
    const list = '/etc/apt/sources.list.d/webgrad-backports.sources';
    if (!existsSync(list)) {
      writeFileSync(
        list,
        `Types: deb\nURIs: http://deb.debian.org/debian\nSuites: ${suite}\n` +
          'Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
      );
    }
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['-qq', 'update'], { env });
  run(
    'apt-get',
    [
      '-qq',
      '-y',
      'install',
      '--no-install-recommends',
      ...(suite ? ['-t', suite] : []),
      'mesa-vulkan-drivers',
      'libvulkan1',
    ],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

installWorkspace();
if (!probeAdapter()) {
  installLavapipe();
  const adapter = probeAdapter();
  if (!adapter) {
    throw new Error(`Mesa lavapipe was installed but Dawn still finds no WebGPU adapter.\n${lastProbeError}`);
  }
  say(`WebGPU adapter ready: ${adapter}`);
}
ensureChromium();
ensureFortunes();
ensureKerasVenv(say);
build();
