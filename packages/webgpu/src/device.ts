// Device acquisition: navigator.gpu in browsers, Dawn's `webgpu` npm package in Node. Errors say what
// to install. In Node it may change the process in three ways, each on by default and each with an
// opt-out in DeviceOptions (the README's "What the WebGPU backend changes in a Node process"):
// Dawn's WebGPU classes and flag constants become globals, Dawn's event ticks are paced while
// webgrad awaits Dawn (dawn-pacing.ts), and Dawn's two limit notices are kept off stderr.
import { enableDawnPacing } from './dawn-pacing.js';

// The WebGPU names this package's published declarations mention, as empty global interfaces: an
// interface merges with any other of its name, so a consumer's own WebGPU types (TypeScript 6+'s DOM
// lib, or @webgpu/types) fill them in without a clash, and a consumer with neither (Node without the
// DOM lib, TypeScript 5 in a browser app) still type-checks, with these as opaque handles. Every name
// a public .d.ts uses must be here: `npm run check:consumer` type-checks the packed packages without them.
declare global {
  /* eslint-disable @typescript-eslint/no-empty-object-type */
  interface GPUAdapterInfo {}
  interface GPUBindGroupLayout {}
  interface GPUBuffer {}
  interface GPUCommandEncoder {}
  interface GPUComputePassTimestampWrites {}
  interface GPUComputePipeline {}
  interface GPUDevice {}
  interface GPUPipelineLayout {}
  interface GPUShaderModule {}
  interface GPUTexture {}
  interface GPUTextureView {}
  /* eslint-enable @typescript-eslint/no-empty-object-type */
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapterName: string;
}

/** What acquiring a device may change in a Node process; browsers ignore all three. */
export interface DeviceOptions {
  /**
   * Pace Dawn's event ticks while webgrad awaits Dawn (dawn-pacing.ts): `globalThis.setImmediate` is
   * swapped for the length of each such wait. Process-wide: on once any device asked for it.
   * Default true.
   */
  pacing?: boolean;
  /**
   * Copy Dawn's globals (GPUBufferUsage, GPUMapMode, GPUDevice, ... as in a browser) onto
   * `globalThis`. Default true.
   */
  installGlobals?: boolean;
  /**
   * Keep Dawn's "maxDynamic...BuffersPerPipelineLayout artificially reduced" notices off stderr by
   * pointing file descriptor 2 at a temporary file while Dawn first lists the adapters; anything else
   * written there is passed on. Default true.
   */
  hideLimitNotices?: boolean;
}

type DawnModule = { create(flags: string[]): GPU; globals: object };

/** Whether this is a browser with WebGPU (Node has no navigator.gpu, with or without Dawn loaded). */
export const inBrowser = (): boolean => typeof navigator !== 'undefined' && 'gpu' in navigator;

// Dawn's GPU object must outlive the device, or Node may collect the instance under it.
let dawn: DawnModule | undefined;
let dawnGpu: GPU | undefined;
let adaptersListed = false;

async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  const moduleName = 'webgpu'; // a variable, so browser bundlers leave the Node-only package out
  try {
    dawn = (await import(/* @vite-ignore */ moduleName)) as DawnModule;
  } catch (cause) {
    throw new Error(dawnMissingMessage(cause), { cause });
  }
  return dawn;
}

/** What to do when Dawn's package cannot be imported: absent (the usual case), or present but failing to load. */
function dawnMissingMessage(cause: unknown): string {
  const { code, message } = (cause ?? {}) as { code?: string; message?: string };
  const absent = code === 'ERR_MODULE_NOT_FOUND' && /'webgpu'/.test(message ?? '');
  return absent
    ? "webgpu backend: WebGPU in Node needs Dawn, the optional 'webgpu' npm package, which is not installed. " +
        'Install it next to @webgrad/webgpu: npm install webgpu (or pnpm add webgpu / yarn add webgpu). ' +
        "Without a GPU, setBackend('cpu') runs everything on the CPU."
    : `webgpu backend: Dawn (the 'webgpu' npm package) is installed but failed to load: ${message}. ` +
        'Its prebuilt binaries cover Linux, macOS and Windows on x64 and arm64; reinstall it with npm install webgpu.';
}

/** Where to get WebGPU in a browser, for the errors below. */
const BROWSER_HINT =
  'WebGPU runs in Chrome and Edge 113+, Safari 26+ and Firefox 141+ (Windows); on Linux, Chrome needs ' +
  'chrome://flags/#enable-unsafe-webgpu and a Vulkan driver; headless Chromium needs --enable-unsafe-webgpu. ' +
  'Pages get it only from https:// or localhost; chrome://gpu says why it is off (a blocklisted GPU, hardware acceleration off).';

/** What to install when Dawn finds no adapter, by platform. */
function nodeAdapterHint(platform: string | undefined): string {
  if (platform === 'darwin') return 'On macOS Dawn uses Metal: a virtual machine without GPU access has none.';
  if (platform === 'win32') return 'On Windows Dawn uses Direct3D 12 or Vulkan: update the GPU driver.';
  return (
    "On Linux Dawn uses Vulkan: install the GPU vendor's Vulkan driver, or, without a GPU, Mesa's CPU driver " +
    'lavapipe (Mesa 24 or newer): Debian/Ubuntu apt-get install mesa-vulkan-drivers (Debian 12: from ' +
    'bookworm-backports), Fedora dnf install mesa-vulkan-drivers; ' +
    '`vulkaninfo --summary` lists what Vulkan sees. In a container, the driver must be inside it.'
  );
}

export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device].filter((p) => p);
  return `${parts.join(' ')}${info.description ? ` (${info.description})` : ''}` || 'unknown adapter';
}

// Dawn clamps both dynamic-buffer limits to 16 when it first lists a Vulkan adapter that reports more
// (lavapipe, NVIDIA and RADV report 500,000 and up) and says so from native code (fprintf to stderr),
// once per GPU instance. No limit passed to requestDevice reaches it (it is printed before, by
// requestAdapter), and neither a Dawn toggle nor an environment variable turns it off.
const LIMIT_NOTICE =
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?\n/gm;

interface NodeFs {
  existsSync(path: string): boolean;
  fstatSync(fd: number): { isCharacterDevice(): boolean; isFIFO(): boolean; isFile(): boolean };
  openSync(path: string, flags: string): number;
  closeSync(fd: number): void;
  readFileSync(path: string, encoding: 'utf8'): string;
  writeSync(fd: number, text: string): number;
  unlinkSync(path: string): void;
}
interface NodeProcess {
  pid: number;
  stderr: { writableLength: number };
}

/** Whether fd was opened in append mode (`>>`), where a reopened twin writes where it would have. */
function appendsOnly(fs: NodeFs, fd: number): boolean {
  try {
    const flags = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    const O_APPEND = 0o2000; // Linux's value; /proc/self/fdinfo is Linux-only too
    return !!flags && (parseInt(flags[1], 8) & O_APPEND) !== 0;
  } catch {
    return false;
  }
}

/** Node's fs and the fd directory, when fd 2 can be swapped safely (withoutDawnLimitNotices says when). */
async function swappableStderr(): Promise<{ fs: NodeFs; fdDir: string } | undefined> {
  const fsName = 'node:fs'; // a variable, so browser bundlers leave it out
  const fs = (await import(/* @vite-ignore */ fsName)) as NodeFs;
  const node = (globalThis as unknown as { process: NodeProcess }).process;
  const fdDir = ['/proc/self/fd', '/dev/fd'].find((dir) => fs.existsSync(dir));
  let stderrKind;
  try {
    fs.fstatSync(0);
    fs.fstatSync(1);
    stderrKind = fs.fstatSync(2);
  } catch {
    return undefined;
  }
  const reopenable =
    stderrKind.isCharacterDevice() || stderrKind.isFIFO() || (stderrKind.isFile() && appendsOnly(fs, 2));
  return fdDir && reopenable && node.stderr.writableLength === 0 ? { fs, fdDir } : undefined;
}

/**
 * Whether acquiring a device in this Node process keeps Dawn's limit notices off stderr: false where
 * stderr is a file opened with `>` or a socket. The repo's entry points then rerun themselves with
 * stderr through a pipe (scripts/stderr-pipe.mjs); an application can do the same.
 */
export async function limitNoticesHidden(): Promise<boolean> {
  return (await swappableStderr()) !== undefined;
}

/**
 * Runs `call` (synchronous native code) with fd 2 pointed at a temporary file, then writes back to
 * stderr what it printed there less Dawn's limit notices. Node cannot dup2, so fd 2 is closed and the
 * file opened into the lowest free number; it is done only where that is safe: fds 0 and 1 open,
 * stderr a terminal, a pipe or a file opened to append, reopened by /proc/self/fd or /dev/fd (a file
 * opened by `> log 2>&1` is left alone: its reopened twin would not share stdout's offset, and the two
 * would overwrite each other), and no write to stderr pending in Node. Anywhere else `call` just runs
 * and the notices show.
 */
export async function withoutDawnLimitNotices<T>(call: () => T): Promise<T> {
  const swappable = await swappableStderr();
  if (!swappable) return call();
  const { fs, fdDir } = swappable;
  const osName = 'node:os';
  const { tmpdir } = (await import(/* @vite-ignore */ osName)) as { tmpdir(): string };
  const node = (globalThis as unknown as { process: NodeProcess }).process;
  let original: number;
  try {
    original = fs.openSync(`${fdDir}/2`, 'a');
  } catch {
    return call(); // e.g. a socket, which cannot be opened by path
  }
  const capturePath = `${tmpdir()}/webgrad-dawn-stderr-${node.pid}-${Date.now()}`;
  const capture = fs.openSync(capturePath, 'w');
  // each open takes the lowest free number, which is 2 right after it is closed
  fs.closeSync(2);
  fs.openSync(`${fdDir}/${capture}`, 'a');
  fs.closeSync(capture);
  try {
    return call();
  } finally {
    fs.closeSync(2);
    fs.openSync(`${fdDir}/${original}`, 'a');
    fs.closeSync(original);
    const printed = fs.readFileSync(capturePath, 'utf8');
    fs.unlinkSync(capturePath);
    const rest = printed.replace(LIMIT_NOTICE, '');
    if (rest) fs.writeSync(2, rest);
  }
}

async function nodeGpu(options: DeviceOptions): Promise<GPU> {
  const module = await loadDawn();
  if (options.installGlobals !== false) Object.assign(globalThis, module.globals);
  if (options.pacing !== false) enableDawnPacing();
  dawnGpu ??= module.create([]);
  return dawnGpu;
}

async function requestAdapter(gpu: GPU, options: DeviceOptions): Promise<GPUAdapter | null> {
  const request = () => gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (inBrowser() || adaptersListed || options.hideLimitNotices === false) return request();
  adaptersListed = true;
  return withoutDawnLimitNotices(request);
}

export async function acquireDevice(options: DeviceOptions = {}): Promise<AcquiredDevice> {
  const browser = inBrowser();
  const isNode = !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  if (!browser && !isNode) {
    throw new Error(
      `webgpu backend: this browser has no WebGPU (navigator.gpu is missing). ${BROWSER_HINT} ` +
        "Or run on the CPU: setBackend('cpu').",
    );
  }
  const gpu = browser ? navigator.gpu : await nodeGpu(options);
  const adapter = await requestAdapter(gpu, options);
  if (!adapter) {
    const platform = (globalThis as { process?: { platform?: string } }).process?.platform;
    throw new Error(
      browser
        ? `webgpu backend: no WebGPU adapter: this browser has WebGPU (navigator.gpu) but offered none. ${BROWSER_HINT} ` +
            "Or run on the CPU: setBackend('cpu')."
        : `webgpu backend: Dawn found no WebGPU adapter. ${nodeAdapterHint(platform)} ` +
            "Or run on the CPU: setBackend('cpu').",
    );
  }
  const { limits } = adapter;
  // Subgroup operations let the GEMM share values across lanes without workgroup memory (ops/matmul.ts
  // reads the subgroup sizes from device.adapterInfo); timestamp queries time each kernel for
  // backend.profile() (profiler.ts).
  const features = (['subgroups', 'timestamp-query'] as const).filter((f) => adapter.features.has(f));
  // Only the limits webgrad outgrows at the defaults, each at the adapter's maximum; the others keep
  // WebGPU's defaults.
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      // the texture GEMM packs a matmul's b into a texture batch·K texels tall (ops/matmul.ts)
      maxTextureDimension2D: limits.maxTextureDimension2D,
    },
  });
  return { device, adapterName: describeAdapter(adapter.info) };
}
