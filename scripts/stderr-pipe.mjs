// Dawn prints two limit notices from native code when it first lists adapters. @webgrad/webgpu hides
// them by swapping fd 2 for that one call, which Node can do safely for a terminal, a FIFO or a file
// opened to append, but not for a file opened with `>` (Node has no dup2; see withoutDawnLimitNotices
// in packages/webgpu/src/device.ts). In that one case the repo's entry points run their work in a
// child whose stderr is a named pipe (Node's own pipes are socket pairs, which cannot be reopened)
// and copy what comes through to stderr, so `npm test > log 2>&1` stays as clean as a terminal:
// `npm test` runs `node scripts/stderr-pipe.mjs mocha …`, the demos and labs call rerunWithStderrPipe.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { limitNoticesHidden } from '@webgrad/webgpu';

// Names the process that piped a child's stderr, so that child does not pipe again (it holds the
// parent's pid: commands further down, with stderr of their own, are not mistaken for that child).
const PIPED_BY = 'WEBGRAD_STDERR_PIPED_BY';

/** Whether the work must move to a child for the notices to stay hidden. */
const needsPipe = async () =>
  process.env[PIPED_BY] !== String(process.ppid) && process.platform !== 'win32' && !(await limitNoticesHidden());

/** Runs command with stdout inherited and stderr through a named pipe copied to ours; resolves to its exit code. */
async function runThroughPipe(command, args) {
  const folder = mkdtempSync(join(tmpdir(), 'webgrad-stderr-'));
  const fifo = join(folder, 'stderr');
  execFileSync('mkfifo', [fifo]);
  // a non-blocking open for reading succeeds at once, after which the open for writing does too
  const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(fifo, 'w');
  rmSync(folder, { recursive: true });
  const child = spawn(command, args, {
    stdio: ['inherit', 'inherit', writeEnd],
    env: { ...process.env, [PIPED_BY]: String(process.pid) },
  });
  closeSync(writeEnd);
  const copied = new Promise((resolve) => {
    const pipe = new Socket({ fd: readEnd, readable: true, writable: false });
    pipe.on('data', (chunk) => writeSync(2, chunk));
    pipe.on('close', resolve);
  });
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (status, signal) => resolve(signal ? 1 : status));
  });
  await copied;
  return code;
}

/** Returns at once where the notices stay hidden; elsewhere reruns this script and exits with its code. */
export async function rerunWithStderrPipe() {
  if (!(await needsPipe())) return;
  process.exit(await runThroughPipe(process.execPath, [...process.execArgv, ...process.argv.slice(1)]));
}

// `node scripts/stderr-pipe.mjs command args…`: runs the command, through the pipe where needed
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (await needsPipe()) process.exit(await runThroughPipe(command, args));
  const child = spawn(command, args, { stdio: 'inherit' });
  child.on('exit', (status, signal) => process.exit(signal ? 1 : status));
}
