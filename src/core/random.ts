/**
 * Seeded random numbers. Every random draw in creditflow comes from an `Rng` (or from the
 * counter-based `hashNormal` for Brownian trees): same seed, same bits, on every machine.
 *
 * `Rng` is xoshiro128** (Blackman & Vigna) on 32-bit words, seeded through splitmix32; doubles take
 * 53 random bits; normals use the Box–Muller transform (both values used).
 */

/** Seeds a user may pass to the command line: 0 .. 2^32 - 1 (stated in every --help). */
export const SEED_MIN = 0;
export const SEED_MAX = 4294967295;

/**
 * Refuse a seed that would not give its own stream: a non-integer, a non-finite value, or one
 * beyond ±(2^53 - 1) (where neighbouring integers are the same double). `what` names it in the
 * message (an option such as '--seed', or the library's 'seed').
 */
export function checkSeed(seed: unknown, what = 'seed'): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new Error(`${what} must be an integer between -(2^53 - 1) and 2^53 - 1 (got ${typeof seed === 'number' ? seed : JSON.stringify(seed)}); pass a whole number such as 1`);
  }
}

/**
 * A safe-integer seed as two 32-bit words, seed = hi * 2^32 + lo with lo in [0, 2^32): a bijection
 * between safe integers and (lo, hi) pairs, so no two seeds share their words (the former folding,
 * (seed | 0) ^ floor(seed / 2^32), sent -2 and 2^32 to seed 1 and -1 to seed 0).
 */
export function seedWords(seed: number): { lo: number; hi: number } {
  const hi = Math.floor(seed / 4294967296);
  return { lo: seed - hi * 4294967296, hi: hi | 0 };
}

/** MurmurHash3's 32-bit finaliser: a bijection on 32-bit words with fmix32(0) = 0. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [state, z >>> 0];
}

export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

export class Rng {
  /** xoshiro128** state, four 32-bit words (an Int32Array: V8 keeps such words unboxed, where number fields outside ±2^30 are boxed, 5-8× slower per draw). */
  private readonly s = new Int32Array(4);
  /** The second value of the last Box–Muller pair, when `hasSpare` (a plain double field: V8 keeps it unboxed). */
  private spare = 0;
  private hasSpare = false;

  /**
   * `seed`: any safe integer (|seed| <= 2^53 - 1), each giving its own stream (see seedWords).
   * Anything else is refused: beyond 2^53 neighbouring integers are the same double.
   */
  constructor(seed: number) {
    checkSeed(seed);
    const { lo, hi } = seedWords(seed);
    let st = lo | 0;
    const w: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [ns, z] = splitmix32(st);
      st = ns;
      w.push(z);
    }
    // The first word is a bijection of lo; the second carries hi (fmix32(0) = 0, so seeds in
    // [0, 2^32) keep the streams they had), hence distinct seeds give distinct states.
    w[1] = (w[1] ^ fmix32(hi)) >>> 0;
    this.s.set(w);
    if ((w[0] | w[1] | w[2] | w[3]) === 0) this.s[0] = 1;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    this.hasSpare = true;
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * out[from, to) ← scale · z for standard normals z: the draws `normal()` would give, in the same
   * order and with the same bits, taken a Box–Muller pair at a time (faster in bulk).
   */
  normals(out: Float64Array, from: number, to: number, scale = 1): void {
    let k = from;
    if (k < to && this.hasSpare) {
      this.hasSpare = false;
      out[k++] = scale * this.spare;
    }
    for (; k + 1 < to; k += 2) {
      let u = this.uniform();
      while (u === 0) u = this.uniform();
      const v = this.uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      out[k] = scale * (r * Math.cos(2 * Math.PI * v));
      out[k + 1] = scale * (r * Math.sin(2 * Math.PI * v));
    }
    if (k < to) out[k] = scale * this.normal();
  }

  /** Fill `out` with N(mean, std²) draws. */
  fillNormal(out: Float64Array, std = 1, mean = 0): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fill `out` with uniform draws on [lo, hi). */
  fillUniform(out: Float64Array, lo = 0, hi = 1): Float64Array {
    const w = hi - lo;
    for (let i = 0; i < out.length; i++) out[i] = lo + w * this.uniform();
    return out;
  }

  /** An integer uniform on [0, n); n a whole number >= 1 (anything else would return a value outside the range). */
  int(n: number): number {
    if (!(Number.isSafeInteger(n) && n >= 1)) throw new Error(`rng.int(n) needs a whole number n >= 1 (got ${n})`);
    return Math.floor(this.uniform() * n);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** An independent generator derived from this one's stream and a label (for sub-streams). */
  fork(label = 0): Rng {
    if (!Number.isSafeInteger(label)) throw new Error(`rng.fork(label) needs a whole-number label (got ${label}); labels are truncated to 32 bits, so 0.5 would alias 0`);
    return new Rng((this.nextUint32() ^ Math.imul(label + 1, 0x9e3779b1)) >>> 0);
  }

  getState(): RngState {
    const [a, b, c, d] = this.s;
    return { s: [a, b, c, d], spare: this.hasSpare ? this.spare : null };
  }

  setState(st: RngState): void {
    this.s.set(st.s);
    this.hasSpare = st.spare !== null;
    this.spare = st.spare ?? 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A 32-bit hash of (seed, a, b, c): the counter-based generator behind Brownian trees. A seed
 * outside [0, 2^32) also mixes in its high word (seedWords), so it does not alias a 32-bit seed.
 */
export function hash32(seed: number, a: number, b: number, c: number): number {
  const { lo, hi } = seedWords(seed);
  let h = (lo ^ 0x85ebca6b) >>> 0;
  const keys = hi === 0 ? [a, b, c] : [hi, a, b, c];
  for (const k0 of keys) {
    let k = Math.imul(k0 | 0, 0xcc9e2d51);
    k = rotl(k, 15);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = rotl(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A standard normal that is a pure function of (seed, key1, key2, component): Box–Muller on two
 * hashed uniforms. Used where a draw must be reproducible from its position alone.
 */
export function hashNormal(seed: number, key1: number, key2: number, component: number): number {
  const a = hash32(seed, key1, key2, 2 * component);
  const b = hash32(seed, key1, key2, 2 * component + 1);
  const u = (a + 0.5) / 4294967296;
  const v = b / 4294967296;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
