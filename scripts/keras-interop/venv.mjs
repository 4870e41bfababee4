// The Python side of the interop checks: a virtual environment with Keras 3 on JAX (CPU), created once
// from requirements.txt by the set-up and cached outside the clone (like lavapipe and Chromium, it is
// the machine's, not the project's). Its folder is named by a digest of requirements.txt, so a changed
// pin makes a new one. WEBGRAD_KERAS_PYTHON names another interpreter that already has Keras 3.
// Imports only Node built-ins: scripts/setup.mjs runs it before the workspace is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const requirements = join(dirname(fileURLToPath(import.meta.url)), 'requirements.txt');

function venvFolder() {
  const digest = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12);
  const cache = process.env.XDG_CACHE_HOME
    ? join(process.env.XDG_CACHE_HOME, 'webgrad')
    : join(homedir(), '.cache', 'webgrad');
  return join(cache, `keras-venv-${digest}`);
}

/** The interpreter that runs Keras 3: WEBGRAD_KERAS_PYTHON, else the cached environment's python. */
export function kerasPython() {
  return process.env.WEBGRAD_KERAS_PYTHON || join(venvFolder(), 'bin', 'python');
}

/** Whether kerasPython() exists and was completely installed (the stamp is written last). */
export function kerasReady() {
  if (process.env.WEBGRAD_KERAS_PYTHON) return existsSync(process.env.WEBGRAD_KERAS_PYTHON);
  return existsSync(join(venvFolder(), '.webgrad-complete'));
}

/**
 * Creates the environment when missing: `python3 -m venv`, then pip from the machine's configured
 * index with no retries (an unreachable index fails at once instead of stalling the set-up).
 * Throws naming what to do when it cannot.
 */
export function ensureKerasVenv(say = console.log) {
  if (kerasReady()) return kerasPython();
  const folder = venvFolder();
  say(`creating the Keras 3 environment for the interop tests in ${folder} (once, about two minutes)`);
  rmSync(folder, { recursive: true, force: true });
  const python3 = process.env.PYTHON ?? 'python3';
  const probe = spawnSync(python3, ['-c', 'import venv, ensurepip'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `The interop tests need Python 3 with venv and ensurepip (${python3}: ${probe.error?.message ?? probe.stderr.trim()}). ` +
        'Install it (Debian: apt-get install python3-venv), or set WEBGRAD_KERAS_PYTHON to a python with Keras 3 and JAX.',
    );
  }
  try {
    // pip's output (warnings about the index's layout included) is shown only when it fails
    execFileSync(python3, ['-m', 'venv', folder], { stdio: 'pipe' });
    const pip = join(folder, 'bin', 'pip');
    const quiet = ['--quiet', '--disable-pip-version-check', '--retries', '0', '--timeout', '30'];
    execFileSync(pip, ['install', ...quiet, '-r', requirements], { stdio: 'pipe' });
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `Could not install Keras 3 and JAX from pip's configured index into ${folder} (${error.message}).\n${output}\n` +
        `The interop tests need them: point pip at an index that has the packages of ${requirements}, ` +
        'or set WEBGRAD_KERAS_PYTHON to a python with Keras 3 and JAX.',
      { cause: error },
    );
  }
  writeFileSync(join(folder, '.webgrad-complete'), readFileSync(requirements));
  return kerasPython();
}
