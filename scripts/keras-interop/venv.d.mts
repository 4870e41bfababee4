// Types of venv.mjs, for the TypeScript tests.
export function kerasPython(): string;
export function kerasReady(): boolean;
export function ensureKerasVenv(say?: (message: string) => void): string;
