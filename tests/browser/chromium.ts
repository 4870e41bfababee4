// Headless Chromium for the browser tests: Debian's `chromium` package (scripts/setup.mjs installs it)
// driven by playwright-core, whose own browser download is not used. --enable-unsafe-webgpu lets
// Chromium use a CPU adapter (its bundled SwiftShader Vulkan) for WebGPU; the other flags keep a
// closed network quiet (no QUIC, no background fetches) and let it run as root (--no-sandbox).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.WEBGRAD_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium({ webgpu = true }: { webgpu?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: run \`node scripts/setup.mjs\` ` +
        `(on Debian as root it installs the chromium package), or set WEBGRAD_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-default-apps',
      '--disable-extensions',
      ...(webgpu ? ['--enable-unsafe-webgpu'] : []),
    ],
  });
}
