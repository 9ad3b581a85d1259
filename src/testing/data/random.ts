/**
 * Seeded randomness for the emulator. Everything it serves is derived from small integer seeds
 * through these functions, so the same seed gives byte-identical data on every run and machine.
 */

/** A small seeded source of choices. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** `length` characters of [0-9a-z]: the alphabet of the API's ids. */
  alnum(length: number): string;
}

const ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * A mulberry32 generator: tiny, fast, and good enough to spread test data.
 *
 * @example
 * const rng = createRandom(42);
 * rng.pick(["inbound", "outbound"]);
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p) => next() < p,
    alnum(length) {
      let out = "";
      for (let i = 0; i < length; i++) out += ALNUM[Math.floor(next() * ALNUM.length)];
      return out;
    },
  };
}

/**
 * A 32-bit FNV-1a hash, used to turn ids into seeds.
 *
 * @example
 * const seed = hashString("conv_abc");
 */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Combines integers into one well-spread seed, so that conversation 2 of seed 1 and
 * conversation 1 of seed 2 do not share a random stream.
 *
 * @example
 * const conversationSeed = mixSeeds(datasetSeed, index);
 */
export function mixSeeds(...parts: number[]): number {
  let hash = 0x9e3779b9;
  for (const part of parts) {
    // Both halves of the integer count, so seeds above 2^32 (unix milliseconds) still differ.
    hash = mix(hash, part >>> 0);
    hash = mix(hash, Math.floor(part / 4294967296) >>> 0);
  }
  return hash >>> 0;
}

function mix(hash: number, word: number): number {
  let h = Math.imul(hash ^ word, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return h ^ (h >>> 13);
}

/**
 * A number in [0, 1) drawn from a string: the same text always gives the same number. For choices
 * that must not depend on order (which request a fault hits, which webhook goes missing).
 *
 * @example
 * if (unitHash(`${seed}\n${request}`) < rate) inject();
 */
export function unitHash(text: string): number {
  return mixSeeds(hashString(text)) / 4294967296;
}
