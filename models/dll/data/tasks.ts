/**
 * The two sequence tasks of the DLL-RNN experiment, generated (nothing is downloaded): the paper's
 * Harry Potter text and its Electricity / Metr-la / Pems-bay series are not shipped, so these stand
 * in for them, deterministic given a seed.
 *
 * - `grammarText`: next-character prediction on text drawn from a small seeded probabilistic grammar
 *   (S → NP VP '.', NP → det [adj] noun [PP], VP → verb [NP | adv], PP → prep NP, with a/an agreement
 *   and a depth limit). Spelling inside a word is deterministic, word choice is random, so the best
 *   achievable accuracy is well below 100% and well above the unigram rate.
 * - `multivariateSeries`: D channels, each a daily (period 24) and a weekly (period 168) sinusoid with
 *   channel-specific amplitudes and phases, plus AR(1) noise and a lagged coupling to the previous
 *   channel, z-scored with the training part's statistics (an Electricity-like load series). The task
 *   is one-step-ahead forecasting of all channels.
 */
import { Rng } from '../../../src/core/random';

const DET = ['the', 'a', 'every', 'some', 'one'];
const ADJ = ['red', 'small', 'quiet', 'old', 'bright', 'heavy', 'early', 'lonely'];
const NOUN = ['cat', 'river', 'doctor', 'garden', 'machine', 'letter', 'window', 'farmer', 'apple', 'owl', 'engine', 'island'];
const VERB = ['sees', 'finds', 'carries', 'follows', 'paints', 'opens', 'hears', 'remembers'];
const ADV = ['slowly', 'often', 'today', 'again', 'quietly'];
const PREP = ['near', 'under', 'with', 'behind', 'beside'];

export interface TextTask {
  text: string;
  alphabet: string[];
  /** Character codes (indices into alphabet). */
  codes: Int32Array;
}

export function grammarText(chars: number, seed: number): TextTask {
  if (!(Number.isInteger(chars) && chars >= 100)) throw new Error(`text length must be an integer >= 100 characters (got ${chars})`);
  const rng = new Rng(seed);
  const pick = (a: readonly string[]) => a[rng.int(a.length)];
  const np = (depth: number): string[] => {
    const words: string[] = [];
    const adj = rng.uniform() < 0.4 ? pick(ADJ) : null;
    const noun = pick(NOUN);
    let det = pick(DET);
    if (det === 'a' && /^[aeiou]/.test(adj ?? noun)) det = 'an';
    words.push(det);
    if (adj) words.push(adj);
    words.push(noun);
    if (depth < 2 && rng.uniform() < 0.25) words.push(pick(PREP), ...np(depth + 1));
    return words;
  };
  const sentence = (): string => {
    const words = np(0);
    words.push(pick(VERB));
    const r = rng.uniform();
    if (r < 0.6) words.push(...np(1));
    else if (r < 0.85) words.push(pick(ADV));
    return words.join(' ') + '.';
  };
  let text = '';
  while (text.length < chars) text += (text ? ' ' : '') + sentence();
  text = text.slice(0, chars);
  const alphabet = [...new Set(text)].sort();
  const index = new Map(alphabet.map((c, i) => [c, i]));
  return { text, alphabet, codes: Int32Array.from(text, (c) => index.get(c)!) };
}

export interface SeriesTask {
  /** T x D, row-major, z-scored with the first `trainLength` rows' mean and std. */
  values: Float64Array;
  length: number;
  channels: number;
  trainLength: number;
}

export function multivariateSeries(length: number, channels: number, seed: number, trainFraction = 0.8): SeriesTask {
  if (!(Number.isInteger(length) && length >= 100)) throw new Error(`series length must be an integer >= 100 (got ${length})`);
  if (!(Number.isInteger(channels) && channels >= 1)) throw new Error(`channels must be an integer >= 1 (got ${channels})`);
  const rng = new Rng(seed);
  const D = channels;
  const amp = Float64Array.from({ length: D }, () => 0.5 + rng.uniform());
  const ampW = Float64Array.from({ length: D }, () => 0.2 + 0.5 * rng.uniform());
  const ph = Float64Array.from({ length: D }, () => 2 * Math.PI * rng.uniform());
  const phW = Float64Array.from({ length: D }, () => 2 * Math.PI * rng.uniform());
  const noise = new Float64Array(D);
  const v = new Float64Array(length * D);
  for (let t = 0; t < length; t++) {
    for (let c = 0; c < D; c++) {
      noise[c] = 0.8 * noise[c] + 0.25 * rng.normal();
      const lagged = t >= 2 ? 0.3 * v[(t - 2) * D + ((c + D - 1) % D)] : 0;
      v[t * D + c] = amp[c] * Math.sin((2 * Math.PI * t) / 24 + ph[c]) + ampW[c] * Math.sin((2 * Math.PI * t) / 168 + phW[c]) + noise[c] + lagged;
    }
  }
  const trainLength = Math.floor(trainFraction * length);
  for (let c = 0; c < D; c++) {
    let m = 0;
    for (let t = 0; t < trainLength; t++) m += v[t * D + c];
    m /= trainLength;
    let s = 0;
    for (let t = 0; t < trainLength; t++) s += (v[t * D + c] - m) ** 2;
    s = Math.sqrt(s / trainLength);
    for (let t = 0; t < length; t++) v[t * D + c] = (v[t * D + c] - m) / s;
  }
  return { values: v, length, channels: D, trainLength };
}
