/**
 * What the core carries for the models' learning flows: piecewise-constant inputs with jump times,
 * per-step reductions, the spike schedule (clock-driven and event-located from one definition),
 * controllers that choose the next time, terms that own the noise product, and the failures the
 * library must report rather than hide.
 */
import { describe, expect, it } from 'vitest';
import '../solvers/index'; // registers the built-in solvers by name
import { logLogSlope } from '../src/analysis/fit';
import { constantStep, piController, stepTo } from '../src/core/controller';
import { piecewiseInput, segmentAt, uniformJumps } from '../src/core/input';
import { solve, type Reduction } from '../src/core/solve';
import type { SpikeSpec } from '../src/core/spikes';
import { steadyState } from '../src/core/steady';
import { solvers } from '../src/core/solvers';
import type { StepSolver } from '../src/core/solver';
import { blockDiffusion, diffusion, drift, odeProblem, sdeProblem, type Problem } from '../src/core/terms';

// ---------------------------------------------------------------------------------------------
// Piecewise-constant input: y' = −y + u_k on segment k, with jumps off any step grid.

const JUMPS = [0.37, 1.13, 2.71];
const U = [1, -2, 0.5, 3];
const T1 = 4;

/** y(T1) of y' = −y + u(t) from y(0) = 0.2, segment by segment. */
function exactPiecewise(): number {
  let y = 0.2;
  const knots = [0, ...JUMPS, T1];
  for (let k = 0; k < U.length; k++) {
    const d = knots[k + 1] - knots[k];
    y = U[k] + (y - U[k]) * Math.exp(-d);
  }
  return y;
}

/** The flow with its input declared (the core stops at the jumps), recording what each evaluation saw. */
function declaredFlow(seen?: { t: number; k: number }[]) {
  let u = U[0];
  let seg = 0;
  const input = piecewiseInput(JUMPS, (k) => {
    seg = k;
    u = U[k];
  });
  return odeProblem(
    drift(1, (t, y, out) => {
      seen?.push({ t, k: seg });
      out[0] = -y[0] + u;
    }),
    { input, name: 'declared input' },
  );
}

/** The same flow reading the input from t inside the vector field: nobody knows where it jumps. */
function undeclaredFlow() {
  return odeProblem(drift(1, (t, y, out) => (out[0] = -y[0] + U[segmentAt(JUMPS, t)])), { name: 'undeclared input' });
}

function fixedErrors(problem: ReturnType<typeof declaredFlow>, solver: string, ks: number[]): number[] {
  const exact = exactPiecewise();
  return ks.map((k) => Math.abs(solve(problem, solver, { t0: 0, t1: T1, y0: [0.2], dt0: 2 ** -k, controller: constantStep() }).y[0] - exact));
}

describe('piecewise-constant inputs with jump times', () => {
  it('rk4 and dopri5 (fixed steps) keep their order across jumps; without jump handling they fall to order 1', () => {
    const ks = [2, 3, 4, 5];
    const dts = ks.map((k) => 2 ** -k);
    const rk4 = logLogSlope(dts, fixedErrors(declaredFlow(), 'rk4', ks));
    const dp5 = logLogSlope(dts, fixedErrors(declaredFlow(), 'dopri5', ks));
    expect(Math.abs(rk4 - 4)).toBeLessThan(0.5);
    expect(dp5).toBeGreaterThan(4.5);
    const rk4Naive = logLogSlope(dts, fixedErrors(undeclaredFlow(), 'rk4', ks));
    const dp5Naive = logLogSlope(dts, fixedErrors(undeclaredFlow(), 'dopri5', ks));
    expect(rk4Naive).toBeLessThan(1.6);
    expect(dp5Naive).toBeLessThan(1.6);
  });

  it('adaptive dopri5 clips its steps to the jumps, restarts its error history there, and meets its tolerance', () => {
    const exact = exactPiecewise();
    for (const rtol of [1e-6, 1e-9]) {
      const sol = solve(declaredFlow(), 'dopri5', { t0: 0, t1: T1, y0: [0.2], rtol, atol: rtol * 1e-3 });
      expect(sol.status).toBe('ok');
      expect(Math.abs(sol.y[0] - exact)).toBeLessThan(50 * rtol);
      const naive = solve(undeclaredFlow(), 'dopri5', { t0: 0, t1: T1, y0: [0.2], rtol, atol: rtol * 1e-3 });
      // the undeclared flow can only find the jumps by rejecting steps
      expect(naive.stats.rejected).toBeGreaterThan(sol.stats.rejected + JUMPS.length);
    }
  });

  it('no stage of a step evaluates the vector field with the next segment (fixed and adaptive steps)', () => {
    for (const opts of [{ dt0: 0.3, controller: constantStep() }, { rtol: 1e-7, atol: 1e-10 }]) {
      for (const solver of ['rk4', 'dopri5', 'heun']) {
        if (solver !== 'dopri5' && 'rtol' in opts) continue;
        const seen: { t: number; k: number }[] = [];
        solve(declaredFlow(seen), solver, { t0: 0, t1: T1, y0: [0.2], ...opts });
        expect(seen.length).toBeGreaterThan(10);
        const knots = [-Infinity, ...JUMPS, Infinity];
        for (const { t, k } of seen) {
          // segment k holds [jumps[k−1], jumps[k]]: its own end is evaluated with segment k
          expect(t).toBeGreaterThanOrEqual(knots[k]);
          expect(t).toBeLessThanOrEqual(knots[k + 1]);
        }
      }
    }
  });

  it('fixed steps land on every jump and continue on their grid', () => {
    const ts: number[] = [];
    const red: Reduction = { size: 1, step: (_a, _y0, t1) => void ts.push(t1) };
    solve(declaredFlow(), 'euler', { t0: 0, t1: T1, y0: [0.2], dt0: 0.25, reductions: [red] });
    for (const j of JUMPS) expect(ts.some((t) => Math.abs(t - j) < 1e-12)).toBe(true);
    for (let k = 1; k <= 16; k++) expect(ts.some((t) => Math.abs(t - 0.25 * k) < 1e-12)).toBe(true);
    expect(ts.length).toBe(16 + JUMPS.length);
  });

  it('uniformJumps gives the minibatch schedule t0 + kΔt inside (t0, t1)', () => {
    expect(uniformJumps(0, 1, 0.25)).toEqual([0.25, 0.5, 0.75]);
    expect(uniformJumps(2, 3, 0.4).map((t) => +t.toFixed(12))).toEqual([2.4, 2.8]);
  });

  it('refuses unsorted jump times, jumps outside [t0, t1], and an adaptive solver that cannot stop at them', () => {
    expect(() => piecewiseInput([0.5, 0.2], () => {})).toThrow(/sorted strictly increasing.*sort them/);
    expect(() => piecewiseInput([0.5, 0.5], () => {})).toThrow(/remove duplicates/);
    expect(() => piecewiseInput([0.1, NaN], () => {})).toThrow(/jumps\[1\] = NaN/);
    expect(() => solve(declaredFlow(), 'rk4', { t0: 0, t1: 2, y0: [0], dt0: 0.1 })).toThrow(/jump at t = 2.71, outside \[t0, t1\] = \[0, 2\]/);
    expect(() => solve(declaredFlow(), 'odex', { t0: 0, t1: T1, y0: [0], rtol: 1e-6 })).toThrow(/cannot stop at the input's jump times/);
  });
});

// ---------------------------------------------------------------------------------------------
// Reductions

describe('reductions recorded once per accepted step', () => {
  const decay = odeProblem(drift(1, (_t, y, out) => (out[0] = -y[0])));
  const loss: Reduction = { name: 'loss', size: 2, step: (_t0, _y0, _t1, y1, acc) => { acc[0] += y1[0] * y1[0]; acc[1]++; } };

  it('a multi-stage solver counts a per-step quantity once per step, not once per stage', () => {
    const sol = solve(decay, 'rk4', { t0: 0, t1: 1, y0: [1], dt0: 0.1, reductions: [loss] });
    expect(sol.stats.nfe).toBe(40);
    expect(sol.reductions[0][1]).toBe(10);
    // the same sum by hand over the same steps
    const byHand = solve(decay, 'rk4', { t0: 0, t1: 1, y0: [1], dt0: 0.1, saveAt: { steps: 1 } });
    const sum = byHand.ys.slice(1).reduce((s, y) => s + y[0] * y[0], 0);
    expect(sol.reductions[0][0]).toBe(sum);
  });

  it('gives the same result on the fast path and on the general loop, and with an adaptive solver sees only accepted steps', () => {
    const fast = solve(decay, 'euler', { t0: 0, t1: 1, y0: [1], dt0: 0.01, reductions: [loss] });
    const general = solve(decay, 'euler', { t0: 0, t1: 1, y0: [1], dt0: 0.01, reductions: [loss], stopWhen: () => false });
    expect(Array.from(fast.reductions[0])).toEqual(Array.from(general.reductions[0]));
    const adaptive = solve(decay, 'dopri5', { t0: 0, t1: 5, y0: [1], rtol: 1e-8, reductions: [loss] });
    expect(adaptive.reductions[0][1]).toBe(adaptive.stats.accepted);
  });

  it('an SDE with fixed steps takes the fast path too, with the bits, steps, draws and divergence report of the general loop', () => {
    // dy = (1 − y²) dt + 0.7 y dW: state-dependent noise, blows up from y0 = 4 with a large step
    const p = sdeProblem(drift(2, (_t, y, out) => { out[0] = 1 - y[0] * y[0]; out[1] = -y[1]; }), diffusion(2, 'diagonal', (_t, y, g) => { g[0] = 0.7 * y[0]; g[1] = 0.2; }));
    for (const [y0, dt0, t1] of [[[0.5, 1], 0.01, 1], [[0.5, 1], 0.3, 1], [[4, 1], 0.5, 20]] as const) {
      const run = (general: boolean) => solve(p, 'euler_maruyama', { t0: 0, t1, y0: [...y0], dt0, seed: 3, reductions: [loss], ...(general ? { stopWhen: () => false } : {}) });
      const fast = run(false);
      const general = run(true);
      expect([fast.status, fast.message, fast.diverged, fast.stats.accepted, fast.stats.nfe]).toEqual([general.status, general.message, general.diverged, general.stats.accepted, general.stats.nfe]);
      expect(Array.from(fast.y)).toEqual(Array.from(general.y));
      expect(Array.from(fast.reductions[0])).toEqual(Array.from(general.reductions[0]));
    }
    expect(solve(p, 'euler_maruyama', { t0: 0, t1: 20, y0: [4, 1], dt0: 0.5, seed: 3 }).status).toBe('diverged');
  });

  it('∫ q dt as a state block converges at the solver order (the other way to accumulate)', () => {
    // y' = −y, A' = y²: A(1) = (1 − e^{−2})/2
    const p = odeProblem(drift(2, (_t, y, out) => { out[0] = -y[0]; out[1] = y[0] * y[0]; }));
    const exact = (1 - Math.exp(-2)) / 2;
    const errs = [0.1, 0.05, 0.025].map((dt) => Math.abs(solve(p, 'rk4', { t0: 0, t1: 1, y0: [1, 0], dt0: dt }).y[1] - exact));
    expect(Math.abs(logLogSlope([0.1, 0.05, 0.025], errs) - 4)).toBeLessThan(0.3);
  });

  it('refuses a reduction whose init does not match its size', () => {
    expect(() => solve(decay, 'euler', { t0: 0, t1: 1, y0: [1], dt0: 0.1, reductions: [{ name: 'loss', size: 2, init: [0], step: () => {} }] })).toThrow(
      /reduction 'loss': init has 1 entries but size is 2; make them equal/,
    );
    expect(() => solve(decay, 'euler', { t0: 0, t1: 1, y0: [1], dt0: 0.1, reductions: [{ size: 0, step: () => {} }] })).toThrow(/size must be an integer >= 1/);
  });
});

// ---------------------------------------------------------------------------------------------
// Spikes: one definition, clock-driven and event-located

/** Two LIF neurons (τ = 1, θ = 1, reset to 0, refractory 0.05); neuron 0 driven, its spikes kick neuron 1. */
function lifPair(times: number[][]) {
  const I = [1.6, 0.7];
  const problem = odeProblem(drift(2, (_t, y, out) => { for (let i = 0; i < 2; i++) out[i] = -y[i] + I[i]; }));
  const spikes = {
    offset: 0,
    size: 2,
    threshold: 1,
    reset: 'zero' as const,
    refractory: 0.05,
    onSpike(t: number, y: Float64Array, i: number, s: { isRefractory(i: number): boolean }) {
      times[i].push(t);
      if (i === 0 && !s.isRefractory(1)) y[1] += 0.25;
    },
  };
  return { problem, spikes };
}

describe('the spike schedule', () => {
  it('clock-driven spike times converge to the event-located ones at order 1 as dt → 0', () => {
    const ref: number[][] = [[], []];
    const e = lifPair(ref);
    solve(e.problem, 'rk4', { t0: 0, t1: 10, y0: [0, 0], dt0: 1e-3, spikes: e.spikes, spikeMode: 'event' });
    expect(ref[0].length).toBeGreaterThan(5);
    expect(ref[1].length).toBeGreaterThan(2);
    // the first spike of neuron 0: 1 = 1.6 (1 − e^{−t})
    expect(Math.abs(ref[0][0] + Math.log(1 - 1 / 1.6))).toBeLessThan(1e-9);
    const dts = [2 ** -7, 2 ** -8, 2 ** -9, 2 ** -10];
    const errs = dts.map((dt) => {
      const got: number[][] = [[], []];
      const c = lifPair(got);
      const sol = solve(c.problem, 'euler', { t0: 0, t1: 10, y0: [0, 0], dt0: dt, spikes: c.spikes });
      expect(sol.stats.spikes).toBe(got[0].length + got[1].length);
      expect(got.map((g) => g.length)).toEqual(ref.map((r) => r.length));
      return Math.max(...got.flatMap((g, i) => g.map((t, q) => Math.abs(t - ref[i][q]))));
    });
    expect(Math.abs(logLogSlope(dts, errs) - 1)).toBeLessThan(0.4);
  });

  it('refuses a threshold at or below the reset potential, and clock mode on adaptive steps', () => {
    const { problem, spikes } = lifPair([[], []]);
    expect(() => solve(problem, 'euler', { t0: 0, t1: 1, y0: [0, 0], dt0: 0.01, spikes: { ...spikes, threshold: 0 } })).toThrow(
      /threshold \(0\) must be above the reset potential vReset \(0\).*raise the threshold or lower vReset/,
    );
    expect(() => solve(problem, 'dopri5', { t0: 0, t1: 1, y0: [0, 0], rtol: 1e-6, spikes, spikeMode: 'clock' })).toThrow(/clock-driven spikes need fixed steps/);
  });
});

// ---------------------------------------------------------------------------------------------
// Spike groups (layers), spikes from outside the state, the mode seen by callbacks

/**
 * A 3-2 feedforward pair of layers (τ = 1, θ = 1): layer 0 driven by constant currents, each of its
 * spikes lifts every layer-1 membrane by W[q][j]. `byGroup` delivers a layer's spikes in `onGroup`
 * (W s at once); otherwise `onSpike` delivers neuron by neuron.
 */
const W2 = [
  [0.45, 0.3, 0.6],
  [0.2, 0.55, 0.35],
];
function twoLayers(byGroup: boolean, log: { t: number; g: number; fired: number[]; mode: string }[] = []) {
  const I = [1.7, 1.4, 1.25, 0, 0];
  const problem = odeProblem(drift(5, (_t, y, out) => { for (let i = 0; i < 5; i++) out[i] = -y[i] + I[i]; }));
  const times: number[][] = [[], [], [], [], []];
  const deliver = (y: Float64Array, j: number, s: { isRefractory(i: number): boolean }) => {
    for (let q = 0; q < 2; q++) if (!s.isRefractory(3 + q)) y[3 + q] += W2[q][j];
  };
  const spikes: SpikeSpec = {
    offset: 0,
    size: 5,
    threshold: 1,
    reset: 'zero',
    refractory: 0.05,
    groups: [0, 3],
    onSpike(t, y, i, s) {
      times[i].push(t);
      if (!byGroup && i < 3) deliver(y, i, s);
    },
    onGroup: byGroup
      ? (t, y, g, fired, s) => {
          log.push({ t, g, fired: Array.from(fired), mode: s.mode });
          if (g === 0) for (const j of fired) deliver(y, j, s);
        }
      : undefined,
  };
  return { problem, spikes, times };
}

describe('spike groups and spikes from outside the state', () => {
  it('clock mode: onGroup follows each group every step, and its jumps into the next group count in the same step', () => {
    const log: { t: number; g: number; fired: number[]; mode: string }[] = [];
    const a = twoLayers(true, log);
    const b = twoLayers(false);
    const dt = 2 ** -6;
    const sa = solve(a.problem, 'euler', { t0: 0, t1: 6, y0: new Float64Array(5), dt0: dt, spikes: a.spikes });
    solve(b.problem, 'euler', { t0: 0, t1: 6, y0: new Float64Array(5), dt0: dt, spikes: b.spikes });
    expect(a.times).toEqual(b.times); // layer by layer = neuron by neuron for a feedforward network
    expect(a.times[3].length + a.times[4].length).toBeGreaterThan(3);
    expect(log.length).toBe(2 * sa.stats.accepted); // every group, every step
    expect(log.every((e) => e.mode === 'clock')).toBe(true);
    // a layer-1 spike in the same step as the layer-0 spikes whose jumps lifted it
    const t1 = a.times[3][0];
    expect(log.some((e) => e.t === t1 && e.g === 0 && e.fired.length > 0)).toBe(true);
    expect(log.filter((e) => e.g === 1 && e.fired.length > 0).flatMap((e) => e.fired).every((i) => i >= 3)).toBe(true);
  });

  it('event mode: onGroup once per instant per group that fired; the same spike times as onSpike', () => {
    const log: { t: number; g: number; fired: number[]; mode: string }[] = [];
    const a = twoLayers(true, log);
    const b = twoLayers(false);
    solve(a.problem, 'rk4', { t0: 0, t1: 6, y0: new Float64Array(5), dt0: 0.01, spikes: a.spikes, spikeMode: 'event' });
    solve(b.problem, 'rk4', { t0: 0, t1: 6, y0: new Float64Array(5), dt0: 0.01, spikes: b.spikes, spikeMode: 'event' });
    expect(a.times).toEqual(b.times);
    expect(a.times[3].length + a.times[4].length).toBeGreaterThan(3);
    expect(log.every((e) => e.mode === 'event' && e.fired.length > 0)).toBe(true);
    // each spike listed once, one call per instant and group
    expect(log.reduce((n, e) => n + e.fired.length, 0)).toBe(a.times.flat().length);
    expect(new Set(log.map((e) => `${e.t}/${e.g}`)).size).toBe(log.length);
    // a layer-1 spike at the instant of the layer-0 spike that lifted it
    const t1 = a.times[3][0];
    expect(log.some((e) => e.t === t1 && e.g === 0) && log.some((e) => e.t === t1 && e.g === 1)).toBe(true);
  });

  it('clock mode: an input layer solved once, fed through beforeThreshold, gives the spikes of the whole network', () => {
    const dt = 2 ** -6;
    const whole = twoLayers(false);
    solve(whole.problem, 'euler', { t0: 0, t1: 6, y0: new Float64Array(5), dt0: dt, spikes: whole.spikes });
    // layer 0 alone, its spikes kept per step
    const I = [1.7, 1.4, 1.25];
    const steps = new Map<number, number[]>();
    solve(odeProblem(drift(3, (_t, y, out) => { for (let i = 0; i < 3; i++) out[i] = -y[i] + I[i]; })), 'euler', {
      t0: 0, t1: 6, y0: new Float64Array(3), dt0: dt,
      spikes: { offset: 0, size: 3, threshold: 1, reset: 'zero', refractory: 0.05, onGroup: (t, _y, _g, fired) => void steps.set(t, Array.from(fired)) },
    });
    // layer 1 alone, fed layer 0's spikes before its threshold pass
    const times: number[][] = [[], []];
    solve(odeProblem(drift(2, (_t, y, out) => { for (let i = 0; i < 2; i++) out[i] = -y[i]; })), 'euler', {
      t0: 0, t1: 6, y0: new Float64Array(2), dt0: dt,
      spikes: {
        offset: 0, size: 2, threshold: 1, reset: 'zero', refractory: 0.05,
        beforeThreshold(t, y, s) {
          for (const j of steps.get(t) ?? []) for (let q = 0; q < 2; q++) if (!s.isRefractory(q)) y[q] += W2[q][j];
        },
        onSpike: (t, _y, i) => void times[i].push(t),
      },
    });
    expect(times).toEqual(whole.times.slice(3));
    expect(times.flat().length).toBeGreaterThan(3);
  });

  it('event mode: spikes from outside arrive at the input jump times and fire at that instant', () => {
    // dV/dt = −V, jumps of 0.6 at t = 1, 1.2, 3: V(1.2) = 0.6 e^{−0.2} + 0.6 > 1 fires at 1.2 exactly
    const arrivals = [1, 1.2, 3];
    const input = piecewiseInput(arrivals, () => {});
    const problem = odeProblem(drift(1, (_t, y, out) => (out[0] = -y[0])), { input });
    const fired: number[] = [];
    const spikes: SpikeSpec = {
      offset: 0, size: 1, threshold: 1, reset: 'zero',
      beforeThreshold(_t, y, s) {
        expect(s.mode).toBe('event');
        y[0] += 0.6;
      },
      onSpike: (t) => void fired.push(t),
    };
    const sol = solve(problem, 'dopri5', { t0: 0, t1: 4, y0: [0], rtol: 1e-10, atol: 1e-12, spikes, spikeMode: 'event', saveAt: { ts: [1.1, 2, 4] } });
    expect(fired).toEqual([1.2]);
    expect(sol.ys[0][0]).toBeCloseTo(0.6 * Math.exp(-0.1), 9);
    expect(sol.ys[1][0]).toBe(0); // reset to 0 at 1.2, where dV/dt = 0
    expect(sol.ys[2][0]).toBeCloseTo(0.6 * Math.exp(-1), 9);
    expect(() => solve(odeProblem(drift(1, (_t, y, out) => (out[0] = -y[0]))), 'dopri5', { t0: 0, t1: 1, y0: [0], rtol: 1e-6, spikes, spikeMode: 'event' })).toThrow(
      /in event mode beforeThreshold runs at the problem's input jump times, and the problem declares none/,
    );
  });

  it('a refractory membrane is held in the noise as well as the drift', () => {
    // dV = (2 − V) dt + 0.5 dW, refractory 0.25: for 0.25 after each spike V stays exactly at 0
    const problem = sdeProblem(drift(1, (_t, y, out) => (out[0] = 2 - y[0])), diffusion(1, 'additive', (_t, _y, out) => (out[0] = 0.5)));
    const spikesAt: number[] = [];
    const sol = solve(problem, 'euler_maruyama', {
      t0: 0, t1: 4, y0: [0], dt0: 1 / 64, seed: 3, saveAt: { steps: 1 },
      spikes: { offset: 0, size: 1, threshold: 1, reset: 'zero', refractory: 0.25, onSpike: (t) => void spikesAt.push(t) },
    });
    expect(spikesAt.length).toBeGreaterThan(2);
    for (const ts of spikesAt) {
      const held = sol.ts.map((t, k) => [t, sol.ys[k][0]]).filter(([t]) => t >= ts && t < ts + 0.25 - 1e-9);
      expect(held.length).toBe(16);
      expect(held.every(([, v]) => v === 0)).toBe(true);
    }
  });

  it('refuses groups that do not start at 0 or do not increase', () => {
    const { problem, spikes } = twoLayers(true);
    expect(() => solve(problem, 'euler', { t0: 0, t1: 1, y0: new Float64Array(5), dt0: 0.1, spikes: { ...spikes, groups: [1, 3] } })).toThrow(/groups lists where each group starts and must begin with 0/);
    expect(() => solve(problem, 'euler', { t0: 0, t1: 1, y0: new Float64Array(5), dt0: 0.1, spikes: { ...spikes, groups: [0, 3, 3] } })).toThrow(/groups\[2\] = 3; group starts must be strictly increasing integers below size \(5\)/);
  });
});

describe("a leak drift's fused clock step", () => {
  // Two groups (3 + 2 membranes) and one entry outside the schedule: τ dV/dt = rest − V + I,
  // group 0 also fed a vector input each step, its spikes delivered into group 1 by onGroup.
  const rest = 0.1;
  const rate = 1 / 0.7;
  const I = Float64Array.from([1.9, 1.5, 1.2, 0.4, 0.6, 0.3]);
  const W = [[0.5, 0.3, 0.45], [0.2, 0.6, 0.35]];
  const dt = 2 ** -5;
  const steps = 4 / dt;
  const feed = new Float64Array(steps * 3);
  for (let i = 0; i < feed.length; i++) feed[i] = 0.08 * Math.abs(Math.sin(1.3 * i));
  function run(opts: { leak: boolean; solver: string; noise?: boolean; refractory?: number; reset?: 'zero' | 'subtract'; reductions?: boolean; beforeThreshold?: boolean; onSpike?: boolean }) {
    let vfCalls = 0;
    const vf = (_t: number, y: Float64Array, out: Float64Array): void => {
      vfCalls++;
      for (let i = 0; i < 6; i++) out[i] = (rest - y[i] + I[i]) * rate;
    };
    const f = drift(6, vf, opts.leak ? { leak: { rest, current: I, rate } } : {});
    const problem = opts.noise ? sdeProblem(f, diffusion(6, 'additive', (_t, _y, g) => g.fill(0.4))) : odeProblem(f);
    const fired: number[][] = [];
    const input = (t: number, g: number): Float64Array | null => {
      const k = Math.round(t / dt) - 1;
      return g === 0 && k % 3 !== 1 ? feed.subarray(3 * k, 3 * k + 3) : null;
    };
    const spikes: SpikeSpec = {
      offset: 0, size: 5, threshold: 1, reset: opts.reset ?? 'zero', vReset: 0.05, refractory: opts.refractory ?? 0, groups: [0, 3], inputScale: 0.7,
      onGroup(t, y, g, f, s) {
        fired.push([t, g, ...f]);
        if (g === 0) for (const j of f) for (let q = 0; q < 2; q++) if (!s.isRefractory(3 + q)) y[3 + q] += W[q][j];
      },
      ...(opts.beforeThreshold ? { beforeThreshold: () => {} } : { input }),
      ...(opts.onSpike ? { onSpike: () => {} } : {}),
    };
    const red: Reduction = { size: 1, step: (_t0, _y0, _t1, y1, acc) => void (acc[0] += y1[0]) };
    const sol = solve(problem, opts.solver, { t0: 0, t1: 4, y0: new Float64Array(6), dt0: dt, seed: 5, spikes, saveAt: { steps: 8 }, reductions: opts.reductions ? [red] : undefined });
    return { ys: sol.ys.map((y) => Array.from(y)), spikes: sol.stats.spikes, nfe: sol.stats.nfe, fired, vfCalls };
  }

  it('integrates, adds the noise and the input, thresholds and resets in one pass: the same bits as the separate passes', () => {
    for (const solver of ['euler', 'euler_maruyama']) {
      for (const noise of solver === 'euler' ? [false] : [false, true]) {
        for (const [refractory, reset] of [[0, 'zero'], [0.1, 'zero'], [0.1, 'subtract']] as const) {
          const a = run({ leak: false, solver, noise, refractory, reset });
          const b = run({ leak: true, solver, noise, refractory, reset });
          expect(b.vfCalls).toBe(0); // no vector-field evaluation: the fused pass did the step
          expect(a.vfCalls).toBe(steps);
          expect(b.ys).toEqual(a.ys);
          expect(b.fired).toEqual(a.fired);
          expect(b.nfe).toBe(a.nfe);
          expect(a.spikes).toBeGreaterThan(20);
          expect(b.fired.some(([, g, ...f]) => g === 1 && f.length > 0)).toBe(true); // jumps into group 1 fire it
        }
      }
    }
  });

  it('does not apply (and gives the same numbers) with reductions, beforeThreshold, onSpike, or another solver', () => {
    for (const o of [{ reductions: true }, { beforeThreshold: true }, { onSpike: true }]) {
      const a = run({ leak: false, solver: 'euler', refractory: 0.1, ...o });
      const b = run({ leak: true, solver: 'euler', refractory: 0.1, ...o });
      expect(b.vfCalls).toBe(steps);
      expect(b.ys).toEqual(a.ys);
    }
    const heun = run({ leak: true, solver: 'heun', refractory: 0.1 });
    expect(heun.vfCalls).toBe(2 * steps);
    expect(heun.ys).toEqual(run({ leak: false, solver: 'heun', refractory: 0.1 }).ys);
  });

  it('a membrane that becomes NaN is divergence with where and when, not a missed spike', () => {
    const current = Float64Array.from([1.5, 1.2]);
    const f = drift(2, (_t, y, out) => { for (let i = 0; i < 2; i++) out[i] = (0 - y[i] + current[i]) * 2; }, { leak: { rest: 0, current, rate: 2 } });
    const sol = solve(odeProblem(f), 'euler', {
      t0: 0, t1: 1, y0: new Float64Array(2), dt0: 0.125,
      spikes: { offset: 0, size: 2, threshold: 1, reset: 'zero', input: (t) => (t === 0.5 ? Float64Array.from([0, NaN]) : null) },
    });
    expect(sol.status).toBe('diverged');
    expect(sol.message).toMatch(/^diverged at t = 0\.5: block 'y' entry 1 became NaN/);
  });

  it('refuses a leak that does not fit the term, and an input in event mode, of the wrong size or with a non-finite scale', () => {
    const vf = (_t: number, _y: Float64Array, out: Float64Array): void => void out.fill(0);
    expect(() => drift(3, vf, { leak: { rest: 0, current: new Float64Array(2), rate: 1 } })).toThrow(/leak.current must be a Float64Array of 3 entries, one current per state entry \(got 2 entries\)/);
    expect(() => drift(3, vf, { leak: { rest: 0, current: new Float64Array(3), rate: NaN } })).toThrow(/leak.rest and leak.rate must be finite numbers/);
    const p = odeProblem(drift(2, vf, { leak: { rest: 0, current: new Float64Array(2), rate: 1 } }));
    const spikes: SpikeSpec = { offset: 0, size: 2, threshold: 1, reset: 'zero', input: () => new Float64Array(3) };
    expect(() => solve(p, 'rk4', { t0: 0, t1: 1, y0: [0, 0], dt0: 0.1, spikes, spikeMode: 'event' })).toThrow(/input \(a vector per group and step\) is for clock mode only/);
    expect(() => solve(p, 'euler', { t0: 0, t1: 1, y0: [0, 0], dt0: 0.1, spikes })).toThrow(/input for group 0 has 3 entries; the group has 2 neurons/);
    expect(() => solve(p, 'heun', { t0: 0, t1: 1, y0: [0, 0], dt0: 0.1, spikes })).toThrow(/input for group 0 has 3 entries; the group has 2 neurons/);
    expect(() => solve(p, 'euler', { t0: 0, t1: 1, y0: [0, 0], dt0: 0.1, spikes: { ...spikes, inputScale: Infinity } })).toThrow(/inputScale must be a finite number \(got Infinity\)/);
  });
});

// ---------------------------------------------------------------------------------------------
// Controllers choose the next time

describe('step-size controllers', () => {
  const decay = odeProblem(drift(1, (_t, y, out) => (out[0] = -y[0])));

  it('stepTo lands on the given times exactly; constantStep lands on t0 + k·dt', () => {
    const times = [0.1, 0.35, 0.8, 1];
    const sol = solve(decay, 'rk4', { t0: 0, t1: 1, y0: [1], controller: stepTo(times), saveAt: { steps: 1 } });
    expect(sol.ts).toEqual([0, ...times]);
    const c = solve(decay, 'euler', { t0: 0.5, t1: 1.5, y0: [1], dt0: 0.1, saveAt: { steps: 1 } });
    c.ts.forEach((t, k) => expect(t).toBe(k === 10 ? 1.5 : 0.5 + k * 0.1));
  });

  it('constant steps keep advancing where (t − t0)/dt has rounded below k (k ≈ 1.6e6, dt = 1e-5)', () => {
    const sol = solve(decay, 'euler', { t0: 0, t1: 20, y0: [1], dt0: 1e-5 });
    expect(sol.status).toBe('ok');
    expect(sol.stats.accepted).toBe(2_000_000);
  });

  it('the PI controller meets its tolerance on a problem with an exact solution', () => {
    for (const rtol of [1e-4, 1e-8]) {
      const sol = solve(decay, 'dopri5', { t0: 0, t1: 5, y0: [1], controller: piController({ rtol, atol: rtol }) });
      expect(Math.abs(sol.y[0] - Math.exp(-5))).toBeLessThan(10 * rtol);
    }
  });

  it('dopri5 reuses its last stage: 6 evaluations per step after the first', () => {
    const sol = solve(decay, 'dopri5', { t0: 0, t1: 5, y0: [1], rtol: 1e-8 });
    expect(sol.stats.nfe).toBe(6 * (sol.stats.accepted + sol.stats.rejected) + 1 + 1);
  });
});

// ---------------------------------------------------------------------------------------------
// Noise products owned by the terms

describe('diffusion terms own the noise product', () => {
  it('scalar noise: one Brownian motion shared by every component; general: g (n×m) times dW', () => {
    const zero = drift(2, (_t, _y, out) => out.fill(0));
    const scalar = sdeProblem(zero, diffusion(2, { shape: 'scalar', additive: true }, (_t, _y, g) => g.set([1, -2])));
    const s = solve(scalar, 'euler_maruyama', { t0: 0, t1: 1, y0: [0, 0], dt0: 0.01, seed: 5 });
    expect(s.y[1]).toBeCloseTo(-2 * s.y[0], 12);
    const general = sdeProblem(zero, diffusion(2, { shape: 'general', additive: true, brownianDim: 3 }, (_t, _y, g) => g.set([1, 0, 0, 1, 1, 1])));
    const gsol = solve(general, 'euler_maruyama', { t0: 0, t1: 1, y0: [0, 0], dt0: 0.01, seed: 5, saveAt: { steps: 1 } });
    expect(gsol.ys.length).toBe(101);
    expect(() => solve(general, 'euler', { t0: 0, t1: 1, y0: [0, 0], dt0: 0.01 })).toThrow(/handles ODEs only.*choose an SDE solver/);
  });
});

// ---------------------------------------------------------------------------------------------
// A drift term's fused Euler update (a learning flow that writes its own SGD step)

describe("a drift term's fused Euler update", () => {
  // dy = A y with a fixed 3×3 A; the fused update writes y0 + h·(A y0) row by row, as vf + combine do.
  const A = [0.3, -1.2, 0.5, 0.8, -0.4, 0.1, -0.6, 0.9, -0.2];
  const vf = (_t: number, y: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < 3; i++) out[i] = A[3 * i] * y[0] + A[3 * i + 1] * y[1] + A[3 * i + 2] * y[2];
  };
  let fusedCalls = 0;
  const fused = (t: number, y0: Float64Array, h: number, y1: Float64Array): number => {
    fusedCalls++;
    let sum = 0;
    for (let i = 0; i < 3; i++) {
      y1[i] = y0[i] + h * (A[3 * i] * y0[0] + A[3 * i + 1] * y0[1] + A[3 * i + 2] * y0[2]);
      sum += y1[i];
    }
    return sum;
  };
  const plain = odeProblem(drift(3, vf));
  const withUpdate = odeProblem(drift(3, vf, { euler: fused }));
  const opts = { t0: 0, t1: 2, y0: [1, -0.5, 0.25], dt0: 1 / 16, saveAt: { steps: 4 } };

  it("'euler' and the drift part of 'euler_maruyama' use it (same bits as vf + combine); higher-order solvers ignore it", () => {
    fusedCalls = 0;
    const a = solve(plain, 'euler', opts);
    const b = solve(withUpdate, 'euler', opts);
    expect(fusedCalls).toBe(32);
    expect(Array.from(b.ys.flatMap((y) => Array.from(y)))).toEqual(Array.from(a.ys.flatMap((y) => Array.from(y))));
    expect(b.stats.nfe).toBe(a.stats.nfe);
    // the general loop (saving every step, a reduction) takes the same path
    const red = { size: 1, step: (_t0: number, _y0: Float64Array, _t1: number, y1: Float64Array, acc: Float64Array) => { acc[0] += y1[0]; } };
    expect(solve(withUpdate, 'euler', { ...opts, saveAt: { steps: 1 }, reductions: [red] }).reductions[0][0]).toBe(
      solve(plain, 'euler', { ...opts, saveAt: { steps: 1 }, reductions: [red] }).reductions[0][0],
    );
    const noise = diffusion(3, 'additive', (_t, _y, g) => g.fill(0.3));
    const em = (p: typeof plain) => solve(sdeProblem(p.drift, noise), 'euler_maruyama', { ...opts, seed: 11 });
    fusedCalls = 0;
    const emFused = em(withUpdate);
    expect(fusedCalls).toBe(32);
    expect(Array.from(emFused.y)).toEqual(Array.from(em(plain).y));
    fusedCalls = 0;
    expect(Array.from(solve(withUpdate, 'rk4', opts).y)).toEqual(Array.from(solve(plain, 'rk4', opts).y));
    expect(fusedCalls).toBe(0);
  });

  it('its returned sum is the divergence check: a NaN there stops the run with where and when', () => {
    const bad = odeProblem(drift(3, vf, { euler: (t, y0, h, y1) => { const s = fused(t, y0, h, y1); if (t >= 1) y1[2] = NaN; return t >= 1 ? NaN : s; } }));
    const sol = solve(bad, 'euler', { ...opts, saveAt: undefined });
    expect(sol.status).toBe('diverged');
    expect(sol.message).toMatch(/^diverged at t = 1\.0625: block 'y' entry 2 became NaN \(last finite state at t = 1\)/);
    expect(() => drift(3, vf, { euler: 3 as never })).toThrow(/drift term: euler must be a function/);
  });
});

describe('a fused Euler update that runs in place (DriftTerm.eulerInPlace)', () => {
  const A = [0.3, -1.2, 0.5, 0.8, -0.4, 0.1, -0.6, 0.9, -0.2];
  const vf = (_t: number, y: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < 3; i++) out[i] = A[3 * i] * y[0] + A[3 * i + 1] * y[1] + A[3 * i + 2] * y[2];
  };
  let aliased = 0;
  // safe in place: reads all of y0 before it writes y1
  const update = (_t: number, y0: Float64Array, h: number, y1: Float64Array): number => {
    if (y0 === y1) aliased++;
    const f0 = A[0] * y0[0] + A[1] * y0[1] + A[2] * y0[2];
    const f1 = A[3] * y0[0] + A[4] * y0[1] + A[5] * y0[2];
    const f2 = A[6] * y0[0] + A[7] * y0[1] + A[8] * y0[2];
    y1[0] = y0[0] + h * f0;
    y1[1] = y0[1] + h * f1;
    y1[2] = y0[2] + h * f2;
    return y1[0] + y1[1] + y1[2];
  };
  const twoBuffers = odeProblem(drift(3, vf, { euler: update }));
  const oneBuffer = odeProblem(drift(3, vf, { euler: update, eulerInPlace: true }));
  const opts = { t0: 0, t1: 2, y0: [1, -0.5, 0.25], dt0: 1 / 16 };
  const run = (p: typeof oneBuffer, extra: object = {}) => {
    aliased = 0;
    const sol = solve(p, 'euler', { ...opts, ...extra });
    return { y: Array.from(sol.y), aliased, sol };
  };

  it('updates one buffer with the same bits as two; only on the fast path, only with reductions that accept it', () => {
    const ref = run(twoBuffers);
    expect(ref.aliased).toBe(0);
    const fast = run(oneBuffer);
    expect(fast.aliased).toBe(32);
    expect(fast.y).toEqual(ref.y);
    // a reduction that reads y0's entries keeps two buffers; one that declares inPlace does not
    const reads = { size: 1, step: (_a: number, y0: Float64Array, _b: number, y1: Float64Array, acc: Float64Array) => void (acc[0] += y1[0] - y0[0]) };
    const withReader = run(oneBuffer, { reductions: [reads] });
    expect(withReader.aliased).toBe(0);
    expect(withReader.sol.reductions[0][0]).toBe(run(twoBuffers, { reductions: [reads] }).sol.reductions[0][0]);
    const last = { size: 1, inPlace: true, step: (_a: number, _y0: Float64Array, _b: number, y1: Float64Array, acc: Float64Array) => void (acc[0] += y1[0]) };
    const withAccepting = run(oneBuffer, { reductions: [last] });
    expect(withAccepting.aliased).toBe(32);
    expect(withAccepting.sol.reductions[0][0]).toBe(run(twoBuffers, { reductions: [last] }).sol.reductions[0][0]);
    // saving between steps (the general loop) and other solvers keep two buffers
    expect(run(oneBuffer, { saveAt: { steps: 1 } }).aliased).toBe(0);
    aliased = 0;
    expect(Array.from(solve(oneBuffer, 'rk4', opts).y)).toEqual(Array.from(solve(twoBuffers, 'rk4', opts).y));
    expect(aliased).toBe(0);
  });

  it('a divergence in place is reported with where and when; the state returned is the non-finite one', () => {
    const blowUp = (t: number, y0: Float64Array, h: number, y1: Float64Array): number => {
      const s = update(t, y0, h, y1);
      if (t < 1) return s;
      y1[2] = NaN;
      return NaN;
    };
    const sol = solve(odeProblem(drift(3, vf, { euler: blowUp, eulerInPlace: true })), 'euler', opts);
    expect(sol.status).toBe('diverged');
    expect(sol.message).toBe("diverged at t = 1.0625: block 'y' entry 2 became NaN in place (the state returned is this diverged one) (last finite state at t = 1)");
    expect(sol.t).toBe(1.0625);
    expect(Number.isNaN(sol.y[2])).toBe(true);
  });

  it('refuses eulerInPlace without a fused update, or not a boolean', () => {
    expect(() => drift(3, vf, { eulerInPlace: true })).toThrow(/eulerInPlace declares that the fused Euler update may run in place, so it needs that update \(opts\.euler\)/);
    expect(() => drift(3, vf, { euler: update, eulerInPlace: 'yes' as never })).toThrow(/drift term: eulerInPlace must be true or false \(got string\)/);
  });
});

describe('a diffusion term on one block of the state', () => {
  // dy = A y dt on 6 entries, noise 0.2 + 0.1 t on entries 2..4 only (as on a network's feedback compartments)
  const n = 6;
  const vf = (_t: number, y: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < n; i++) out[i] = -0.5 * y[i] + 0.3 * y[(i + 1) % n];
  };
  const fused = (t: number, y0: Float64Array, h: number, y1: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      y1[i] = y0[i] + h * (-0.5 * y0[i] + 0.3 * y0[(i + 1) % n]);
      s += y1[i];
    }
    return s;
  };
  const gOn = (t: number) => 0.2 + 0.1 * t;
  const block = blockDiffusion(n, 2, 3, 'additive', (t, _y, out) => out.fill(gOn(t)));
  const full = diffusion(n, 'additive', (t, _y, out) => {
    out.fill(0);
    out.fill(gOn(t), 2, 5);
  });
  const opts = { t0: 0, t1: 1, y0: [1, -1, 0.5, 0.2, -0.3, 0.7], dt0: 1 / 32, seed: 4, saveAt: { steps: 1 } };
  const flat = (ys: Float64Array[]) => ys.flatMap((y) => Array.from(y));

  it("'euler_maruyama' adds g ΔW on the block only: the same bits as the whole-state term, with or without a fused drift; other solvers see the whole-state term", () => {
    for (const d of [drift(n, vf), drift(n, vf, { euler: fused })]) {
      const a = solve(sdeProblem(d, full), 'euler_maruyama', opts);
      const b = solve(sdeProblem(d, block), 'euler_maruyama', opts);
      expect(flat(b.ys)).toEqual(flat(a.ys));
      expect(b.stats.nfe).toBe(a.stats.nfe);
      expect(b.ys[b.ys.length - 1][0]).not.toBe(solve(odeProblem(d), 'euler', opts).y[0]); // the noise reaches the rest through the drift
    }
    expect(block.block).toMatchObject({ offset: 2, size: 3 });
    const g = new Float64Array(n).fill(9);
    block.g(0.5, new Float64Array(n), g);
    expect(Array.from(g)).toEqual([0, 0, 0.25, 0.25, 0.25, 0]);
    const heun = (dd: typeof full) => solve(sdeProblem(drift(n, vf), dd), 'stochastic_heun', opts).y;
    expect(Array.from(heun(block))).toEqual(Array.from(heun(full)));
    // a constant amplitude (one number for the block): the same bits as g filled with it
    const constant = blockDiffusion(n, 2, 3, 'additive', 0.35);
    const filled = blockDiffusion(n, 2, 3, 'additive', (_t, _y, out) => out.fill(0.35));
    expect(constant.block!.amplitude).toBe(0.35);
    const em = (dd: typeof full) => flat(solve(sdeProblem(drift(n, vf, { euler: fused }), dd), 'euler_maruyama', opts).ys);
    expect(em(constant)).toEqual(em(filled));
    expect(Array.from(heun(constant))).toEqual(Array.from(heun(filled)));
    expect(() => blockDiffusion(n, 2, 3, 'diagonal', 0.35)).toThrow(/a constant amplitude \(got 0\.35\) must be a finite number, with noise 'additive'/);
  });

  it("keeps the drift's fused-update sum (Σ y1 with the noise added, no scan of the state) and still stops on a non-finite entry", () => {
    const em = solvers.get('euler_maruyama') as StepSolver;
    const problem = sdeProblem(drift(n, vf, { euler: fused }), block);
    const ws = em.init(problem);
    const y0 = Float64Array.from(opts.y0);
    const y1 = new Float64Array(n);
    const dW = Float64Array.from([0, 0, 0.3, -0.1, 0.2, 0]);
    const info = em.step(problem, 0, 0.25, y0, dW, y1, ws);
    expect(info.sum).toBeCloseTo(y1.reduce((a, b) => a + b, 0), 14);
    // with the whole-state term the solver leaves the sum to solve's scan
    const wsFull = em.init(sdeProblem(drift(n, vf, { euler: fused }), full));
    expect(em.step(sdeProblem(drift(n, vf, { euler: fused }), full), 0, 0.25, y0, dW, new Float64Array(n), wsFull).sum).toBeUndefined();
    // noise that makes an entry of the block infinite: the kept sum is ±∞/NaN and the run stops there
    const huge = blockDiffusion(n, 2, 3, 'additive', (t, _y, out) => out.fill(t >= 0.5 ? Infinity : 0.1));
    const sol = solve(sdeProblem(drift(n, vf, { euler: fused }), huge), 'euler_maruyama', { ...opts, saveAt: undefined });
    expect(sol.status).toBe('diverged');
    expect(sol.message).toMatch(/^diverged at t = 0\.53125: block 'y' entry [234] became (-?Infinity|NaN)/);
    expect(() => blockDiffusion(n, 4, 3, 'additive', () => {})).toThrow(/blockDiffusion: the block \[4, 4 \+ 3\) must lie in the state's 6 entries/);
  });
});

describe("a problem's own state storage", () => {
  // The same linear flow as above, its state kept in views into a WebAssembly memory (as a term
  // whose kernels work on the state in place would have it): the loop's buffers are those views.
  const A = [0.3, -1.2, 0.5, 0.8, -0.4, 0.1, -0.6, 0.9, -0.2];
  const vf = (_t: number, y: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < 3; i++) out[i] = A[3 * i] * y[0] + A[3 * i + 1] * y[1] + A[3 * i + 2] * y[2];
  };
  const opts = { t0: 0, t1: 2, y0: [1, -0.5, 0.25], dt0: 1 / 16 };
  /** A WebAssembly memory of one 64 KiB page (the globals' types here have no WebAssembly). */
  const wasmMemory = (): { buffer: ArrayBuffer; grow(pages: number): number } => new (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number } } }).WebAssembly.Memory({ initial: 1 });
  /** An allocator of consecutive 3-entry views into `memory` (16-byte aligned slots), and what it gave. */
  const slots = (memory: { buffer: ArrayBuffer }) => {
    const given: Float64Array[] = [];
    const storage = (n: number): Float64Array => {
      const v = new Float64Array(memory.buffer, 32 * given.length, n);
      given.push(v);
      return v;
    };
    return { storage, given };
  };

  it('solve steps in the views it returns, with the same bits as plain arrays (fast and general loop, SDE, rk4)', () => {
    const memory = wasmMemory();
    const { storage, given } = slots(memory);
    const seen = new Set<number>();
    const inPlace = drift(3, (t, y, out) => {
      if (y.buffer === memory.buffer) seen.add(y.byteOffset);
      vf(t, y, out);
    });
    const plain = odeProblem(drift(3, vf));
    const stored = odeProblem(inPlace, { storage });
    expect(stored.storage).toBe(storage);
    expect('storage' in plain).toBe(false);
    const a = solve(plain, 'euler', opts);
    const b = solve(stored, 'euler', opts);
    expect(Array.from(b.y)).toEqual(Array.from(a.y));
    expect(given.length).toBe(2); // the current and the new state
    expect([...seen].sort()).toEqual([0, 32]); // the vector field read the state where it lives
    expect(b.y.buffer).not.toBe(memory.buffer); // the solution is a copy
    const every = { saveAt: { steps: 1 } };
    expect(solve(stored, 'euler', { ...opts, ...every }).ys.map((y) => Array.from(y))).toEqual(solve(plain, 'euler', { ...opts, ...every }).ys.map((y) => Array.from(y)));
    const noise = diffusion(3, 'additive', (_t, _y, g) => g.fill(0.3));
    const em = (p: Problem) => solve(p, 'euler_maruyama', { ...opts, seed: 3 }).y;
    expect(Array.from(em(sdeProblem(inPlace, noise, { storage: slots(wasmMemory()).storage })))).toEqual(Array.from(em(sdeProblem(drift(3, vf), noise))));
    expect(Array.from(solve(odeProblem(inPlace, { storage: slots(wasmMemory()).storage }), 'rk4', opts).y)).toEqual(Array.from(solve(plain, 'rk4', opts).y));
  });

  it('refuses a wrong size, overlapping buffers, a non-function, and views detached by a memory that grew', () => {
    const memory = wasmMemory();
    const p = (storage: (n: number) => Float64Array) => odeProblem(drift(3, vf), { storage });
    expect(() => solve(p(() => new Float64Array(4)), 'euler', opts)).toThrow(/storage returned a Float64Array of 4 entries; it must return a Float64Array of exactly 3 entries/);
    expect(() => solve(p(() => new Float64Array(memory.buffer, 8, 3)), 'euler', opts)).toThrow(/overlaps another state buffer/);
    expect(() => odeProblem(drift(3, vf), { storage: 5 as never })).toThrow(/problem storage must be a function/);
    const grows = odeProblem(drift(3, (t, y, out) => {
      if (t >= 1 && memory.buffer.byteLength === 65536) memory.grow(1); // detaches every view taken before
      vf(t, y, out);
    }), { storage: slots(memory).storage });
    expect(() => solve(grows, 'euler', opts)).toThrow(/storage was detached during the solve/);
  });
});

// ---------------------------------------------------------------------------------------------
// Failures the library reports

describe('failures are reported, not hidden', () => {
  it('a NaN vector field is "diverged" with its time, for dopri5 too', () => {
    const p = odeProblem(drift(1, (t, _y, out) => (out[0] = t > 0.5 ? NaN : 1)));
    const sol = solve(p, 'dopri5', { t0: 0, t1: 1, y0: [0], rtol: 1e-6 });
    expect(sol.status).toBe('diverged');
    expect(sol.message).toMatch(/t = 0\.[45]/);
    const st = steadyState(p, 'dopri5', { t0: 0, y0: [0], tMax: 10, tol: 1e-8 });
    expect(st.reason).toBe('diverged');
    expect(st.solution.message).toMatch(/block 'y' entry 0 became NaN/);
  });

  it('on the fixed-step fast path, a non-finite state is caught from the sum the step computed; a sum that merely overflows is not divergence', () => {
    const p = odeProblem(drift(3, (t, _y, out) => { out.fill(0); out[1] = t >= 0.5 ? NaN : 1; }));
    const sol = solve(p, 'euler', { t0: 0, t1: 1, y0: [0, 0, 0], dt0: 0.125 });
    expect(sol.status).toBe('diverged');
    expect(sol.message).toMatch(/^diverged at t = 0\.625: block 'y' entry 1 became NaN \(last finite state at t = 0\.5\)/);
    const big = odeProblem(drift(4, (_t, _y, out) => out.fill(0)));
    const ok = solve(big, 'rk4', { t0: 0, t1: 1, y0: [1e308, 1e308, 1e308, 1e308], dt0: 0.25 });
    expect(ok.status).toBe('ok');
  });

  it('a step so small it would take forever is refused before work starts', () => {
    const p = odeProblem(drift(1, (_t, _y, out) => (out[0] = 1)));
    expect(() => solve(p, 'euler', { t0: 0, t1: 1, y0: [0], dt0: 1e-300 })).toThrow(/dt0 = 1e-300 needs .* steps.*use a larger dt0/);
  });

  it('an interval below the resolution of t is refused', () => {
    const p = odeProblem(drift(1, (_t, _y, out) => (out[0] = 1)));
    expect(() => solve(p, 'euler', { t0: 1e17, t1: 1e17 + 1000, y0: [0], dt0: 1 })).toThrow(/resolution of t.*shift time/);
  });

  it('a bouncing ball reset exactly onto the floor keeps bouncing', () => {
    // y'' = −9.81; at y = 0 the velocity flips (e = 0.9) and the state is put exactly on the floor
    const p = odeProblem(drift(2, (_t, y, out) => { out[0] = y[1]; out[1] = -9.81; }));
    let bounces = 0;
    const sol = solve(p, 'rk4', {
      t0: 0, t1: 3, y0: [1, 0], dt0: 1e-3,
      events: [{ direction: 'down', condition: (_t, y, out) => (out[0] = y[0]), handle: (_t, y) => { y[0] = 0; y[1] = -0.9 * y[1]; bounces++; } }],
    });
    expect(sol.status).toBe('ok');
    expect(bounces).toBeGreaterThanOrEqual(3);
    expect(sol.y[0]).toBeGreaterThanOrEqual(-1e-9);
  });

  it('an event condition that returns NaN is an error, not silence', () => {
    const p = odeProblem(drift(1, (_t, _y, out) => (out[0] = 1)));
    expect(() => solve(p, 'rk4', { t0: 0, t1: 1, y0: [0], dt0: 0.1, events: [{ name: 'wall', condition: (_t, _y, out) => (out[0] = NaN) }] })).toThrow(/event 'wall': condition component 0 is NaN/);
  });
});
