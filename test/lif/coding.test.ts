import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { decodeRates, directCurrent, rateLosses, rateMse } from '../../models/lif/coding';
import { codingDrive, initSnn, simulateClock, snnSpec } from '../../models/lif/network';

describe('direct coding, rate decoding, eq. (27)', () => {
  test('direct coding is gain·x and decoding is count/T', () => {
    expect(Array.from(directCurrent([0, 0.5, 1], 4, new Float64Array(3)))).toEqual([0, 2, 4]);
    expect(Array.from(decodeRates(Float64Array.of(0, 5, 10), 10))).toEqual([0, 0.5, 1]);
  });

  test('per-sample losses (1/(2N)) Σ (r − y)² and the Loss used by BP agree', () => {
    const r = Float64Array.of(0.5, 0, 1, 1);
    const y = Float64Array.of(1, 0, 0, 1);
    const per = new Float64Array(2);
    const mean = rateLosses(r, y, 2, per);
    expect(Array.from(per)).toEqual([0.0625, 0.25]);
    expect(mean).toBeCloseTo(0.15625, 15);
    const g = new Float64Array(4);
    expect(rateMse.evaluate(r, y, 2, g)).toBeCloseTo(mean, 15);
    expect(Array.from(g)).toEqual([-0.125, 0, 0.25, 0]);
  });

  test('a silent input pixel never drives the coding layer; a bright one fires every step (gain 4, τ = 2)', () => {
    const spec = snnSpec({ sizes: [2, 3], inputGain: 4, steps: 20 });
    const run = simulateClock(spec, initSnn(spec, new Rng(1)), Float64Array.of(0, 1), 1);
    expect(Array.from(run.counts[0])).toEqual([0, 20]);
  });

  test('the clean and perturbed runs share the layer-1 drive and the noise seed; σ = 0 reproduces the clean run exactly', () => {
    const spec = snnSpec({ sizes: [5, 6, 3], steps: 30, noise: 0.2 });
    const params = initSnn(spec, new Rng(2), 4, 0.5);
    const x = new Rng(3).fillUniform(new Float64Array(2 * 5));
    const drive = codingDrive();
    const a = simulateClock(spec, params, x, 2, null, { noiseSeed: 9, codingDrive: drive });
    expect(drive.layer?.steps).toBe(30); // solved by the clean run, reused by the next
    const b = simulateClock(spec, params, x, 2, { sigma: 0, xi: [new Float64Array(12).fill(1), new Float64Array(6).fill(1)] }, { noiseSeed: 9, codingDrive: drive });
    const c = simulateClock(spec, params, x, 2, null, { noiseSeed: 9 });
    expect(a.counts.map((v) => Array.from(v))).toEqual(b.counts.map((v) => Array.from(v)));
    expect(a.counts.map((v) => Array.from(v))).toEqual(c.counts.map((v) => Array.from(v)));
    const d = simulateClock(spec, params, x, 2, null, { noiseSeed: 10 });
    expect(d.counts.slice(1).map((v) => Array.from(v))).not.toEqual(a.counts.slice(1).map((v) => Array.from(v))); // another noise draw
  });

  test('dense and sparse synaptic input give the same spikes', () => {
    const x = new Rng(4).fillUniform(new Float64Array(4 * 50));
    const counts = (['dense', 'sparse'] as const).map((synapse) => {
      const spec = snnSpec({ sizes: [50, 40, 30, 5], steps: 25, synapse, inputGain: 4 });
      return simulateClock(spec, initSnn(spec, new Rng(5), 4, 0.5), x, 4).counts.map((c) => Array.from(c));
    });
    expect(counts[0]).toEqual(counts[1]);
  });
});
