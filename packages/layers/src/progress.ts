// The default fit callback: Keras's progress output. On a terminal, a bar per epoch redrawn each
// step with the ETA and the running loss/metrics (read back every few hundred ms); elsewhere (a log
// file, CI, a browser console) one line per epoch. val_ metrics appear at the epoch's end.
// The terminal is found through globalThis.process.
import type { Callback, Logs } from './callbacks.js';

interface Output {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}
const stdout = (): Output | undefined => (globalThis as { process?: { stdout?: Output } }).process?.stdout;

const formatLogs = (logs: Logs) =>
  Object.entries(logs)
    .filter(([k]) => k !== 'size')
    .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
    .join(' - ');

export const formatDuration = (seconds: number): string => {
  if (seconds >= 3600) {
    const hours = Math.floor(seconds / 3600);
    const minutes = String(Math.floor((seconds % 3600) / 60)).padStart(2, '0');
    const wholeSeconds = String(Math.floor(seconds % 60)).padStart(2, '0');
    return `${hours}:${minutes}:${wholeSeconds}`;
  }
  if (seconds >= 60) return `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
};

/** `[=====>....]` of `width` characters for done/total. */
export function bar(done: number, total: number, width = 30): string {
  const filled = Math.min(width, Math.floor((done / total) * width));
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (done >= total ? '=' : '>') : ''}${'.'.repeat(width - filled)}]`;
}

export interface ProgressOptions {
  epochs: number;
  steps: number;
  verbose: 1 | 2;
  metricNames: readonly string[];
  /** Where lines go (default: stdout in Node, console.log elsewhere). */
  print?: (line: string) => void;
}

export function progressBar({ epochs, steps, verbose, print }: ProgressOptions): Callback {
  const out = stdout();
  const live = verbose === 1 && !print && !!out?.isTTY;
  const line = print ?? ((text: string) => (out ? out.write(`${text}\n`) : console.log(text)));
  let epochStart = 0,
    shown: Logs = {};
  const redraw = (step: number) => {
    const elapsed = (Date.now() - epochStart) / 1000;
    const eta = step > 0 ? (elapsed / step) * (steps - step) : 0;
    const text =
      `${String(step).padStart(String(steps).length)}/${steps} ${bar(step, steps)} - ETA: ${formatDuration(eta)}` +
      `${Object.keys(shown).length ? ` - ${formatLogs(shown)}` : ''}`;
    out!.write(`\r${text.slice(0, (out!.columns || 120) - 1)}\x1b[K`);
  };
  return {
    onEpochBegin: (epoch) => {
      epochStart = Date.now();
      shown = {};
      if (verbose === 1 || live) line(`Epoch ${epoch + 1}/${epochs}`);
      if (live) redraw(0);
    },
    onBatchEnd: (step, logs) => {
      if (!live) return;
      if (logs.loss !== undefined) shown = logs;
      redraw(step + 1);
    },
    onEpochEnd: (epoch, logs) => {
      const seconds = (Date.now() - epochStart) / 1000;
      const summary =
        `${steps}/${steps} ${bar(steps, steps)} - ${formatDuration(seconds)} ` +
        `${Math.round((seconds * 1000) / steps)}ms/step - ${formatLogs(logs)}`;
      if (live) out!.write(`\r${summary}\x1b[K\n`);
      else line(verbose === 2 ? `Epoch ${epoch + 1}/${epochs} - ${summary}` : summary);
    },
  };
}

export interface EpochBarOptions {
  epochs: number;
  /** Where lines go off a terminal (default: stdout in Node, console.log elsewhere). */
  print?: (line: string) => void;
}

/**
 * One bar over all epochs, for fits whose epoch is a single step (a whole graph): redrawn each epoch
 * on a terminal with the ETA and the epoch's logs; elsewhere a line at every tenth of the run.
 */
export function epochBar({ epochs, print }: EpochBarOptions): Callback {
  const out = stdout();
  const live = !print && !!out?.isTTY;
  const line = print ?? ((text: string) => (out ? out.write(`${text}\n`) : console.log(text)));
  let start = 0,
    first = 0;
  const every = Math.max(1, Math.round(epochs / 10));
  return {
    onEpochBegin: (epoch) => {
      if (start === 0) {
        start = Date.now();
        first = epoch;
      }
    },
    onEpochEnd: (epoch, logs) => {
      const done = epoch + 1 - first,
        total = epochs - first;
      const elapsed = (Date.now() - start) / 1000;
      const timing =
        done < total ? `ETA: ${formatDuration((elapsed / done) * (total - done))}` : formatDuration(elapsed);
      const text = `epoch ${epoch + 1}/${epochs} ${bar(done, total)} - ${timing} - ${formatLogs(logs)}`;
      if (live) out!.write(`\r${text.slice(0, (out!.columns || 120) - 1)}\x1b[K${done >= total ? '\n' : ''}`);
      else if (done % every === 0 || done >= total) line(text);
    },
  };
}
