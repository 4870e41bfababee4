// Types of karate.mjs, for the TypeScript tests.
export const KARATE_NODES: 34;
export const KARATE_EDGES: [number, number][];
export const KARATE_FACTIONS: number[];
export const KARATE_LEADERS: number[];
export function karateEdgeIndex(): [number[], number[]];
