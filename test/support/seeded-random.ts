/**
 * A small seeded PRNG for property tests: the same seed gives the same sequence on every machine, so a
 * failing case can be replayed. mulberry32 (a public-domain 32-bit generator): fast, good enough for
 * test data, not for anything secret.
 */
export class SeededRandom {
  readonly seed: number;
  private state: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** true with the given probability. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** A new array with the items in random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  }

  /** `count` distinct items in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    return this.shuffle(items).slice(0, count);
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** A string of `length` decimal digits (leading zeros allowed). */
  digits(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += String(Math.floor(this.next() * 10));
    return out;
  }

  /** A string of `length` characters drawn from `alphabet` (code points, so emoji count as one). */
  stringFrom(alphabet: string, length: number): string {
    const characters = [...alphabet];
    let out = '';
    for (let i = 0; i < length; i++) out += this.pick(characters);
    return out;
  }

  /** An independent generator derived from this one (for sub-streams that must not shift each other). */
  fork(): SeededRandom {
    return new SeededRandom(Math.floor(this.next() * 4294967296));
  }
}

/**
 * The seed for a property test: OTAGW_TEST_SEED when set (to replay a failure), else the given default.
 * Tests print the seed in their failure messages.
 */
export function testSeed(defaultSeed: number): number {
  const fromEnv = process.env.OTAGW_TEST_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const parsed = Number(fromEnv);
    if (!Number.isInteger(parsed)) throw new Error(`OTAGW_TEST_SEED must be an integer, got ${fromEnv}`);
    return parsed >>> 0;
  }
  return defaultSeed >>> 0;
}
