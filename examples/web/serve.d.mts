// Types of serve.mjs, for the TypeScript tests that start the demo's server.
export function mnistBinary(options?: { seed?: number; trainSize?: number }): Uint8Array;
export function startServer(options?: {
  port?: number;
  host?: string;
}): Promise<{ url: string; close(): Promise<void> }>;
