// Zachary's karate club (W. W. Zachary, "An information flow model for conflict and fission in small
// groups", J. Anthropological Research 33, 1977): 34 members, 78 friendships, and the two factions the
// club split into, Mr. Hi's (0) and the officer's (1). A public fact, written here from the well-known
// edge list (UCINET's zachary.dat, as networkx's karate_club_graph numbers the members from 0).

/** Each member's friends with a larger number: 78 undirected edges in all. */
const FRIENDS = {
  0: [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 17, 19, 21, 31],
  1: [2, 3, 7, 13, 17, 19, 21, 30],
  2: [3, 7, 8, 9, 13, 27, 28, 32],
  3: [7, 12, 13],
  4: [6, 10],
  5: [6, 10, 16],
  6: [16],
  8: [30, 32, 33],
  9: [33],
  13: [33],
  14: [32, 33],
  15: [32, 33],
  18: [32, 33],
  19: [33],
  20: [32, 33],
  22: [32, 33],
  23: [25, 27, 29, 32, 33],
  24: [25, 27, 31],
  25: [31],
  26: [29, 33],
  27: [33],
  28: [31, 33],
  29: [32, 33],
  30: [32, 33],
  31: [32, 33],
  32: [33],
};

export const KARATE_NODES = 34;

/** The 78 friendships as [a, b] pairs, a < b. */
export const KARATE_EDGES = Object.entries(FRIENDS).flatMap(([a, bs]) => bs.map((b) => [Number(a), b]));

/** Mr. Hi's faction: the members who followed him; everyone else followed the officer. */
const MR_HI = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 19, 21]);

/** Each member's faction: 0 Mr. Hi's, 1 the officer's. */
export const KARATE_FACTIONS = Array.from({ length: KARATE_NODES }, (_, i) => (MR_HI.has(i) ? 0 : 1));

/** Mr. Hi (member 0) and the officer (member 33): the one labelled member of each faction in the lab. */
export const KARATE_LEADERS = [0, 33];

/** Both directions of every friendship: [sources, targets], 156 messages. */
export function karateEdgeIndex() {
  return [
    [...KARATE_EDGES.map(([a]) => a), ...KARATE_EDGES.map(([, b]) => b)],
    [...KARATE_EDGES.map(([, b]) => b), ...KARATE_EDGES.map(([a]) => a)],
  ];
}
