import '../solvers/index'; // registers the built-in solvers by name
import { describe, expect, test } from 'vitest';
import { BrownianGrid, BrownianIncrements, BrownianTree } from '../src/core/brownian';
import { constantStep, piController } from '../src/core/controller';
import { solve } from '../src/core/solve';
import { steadyState } from '../src/core/steady';
import { defineState, matrix, vector } from '../src/core/state';
import { additiveNoise, diffusion, drift, odeProblem, sdeProblem, sumDrift, timeScaled } from '../src/core/terms';
import { solveLinear } from '../src/linalg/decomp';
import { fromRows } from '../src/linalg/mat';
import { linearTestProblem } from '../solvers/checks';
import { maxAbsDiff } from './helpers';

const decay = odeProblem(drift(1, (_t, y, out) => void (out[0] = -y[0])));

describe('saving', () => {
  test('saveAt.ts is interpolated (adaptive steps are not forced onto the save times)', () => {
    const ts = Array.from({ length: 101 }, (_, i) => i / 100);
    const sol = solve(decay, 'dopri5', { t0: 0, t1: 1, y0: [1], rtol: 1e-9, atol: 1e-12, saveAt: { ts } });
    expect(sol.ts).toEqual(ts);
    expect(sol.stats.accepted).toBeLessThan(40);
    for (let i = 0; i < ts.length; i++) expect(Math.abs(sol.ys[i][0] - Math.exp(-ts[i]))).toBeLessThan(1e-8);
  });

  test('fixed-step solvers interpolate off-grid save times to the method order', () => {
    const sol = solve(decay, 'rk4', { t0: 0, t1: 1, y0: [1], dt0: 0.1, saveAt: { ts: [0.05, 0.333, 1] } });
    for (let i = 0; i < 3; i++) expect(Math.abs(sol.ys[i][0] - Math.exp(-sol.ts[i]))).toBeLessThan(1e-6);
  });

  test('saveAt.steps keeps every n-th step, saveAt.fn keeps part of the state', () => {
    const layout = defineState({ v: vector(2, { tau: 1 }), W: matrix(2, 2, { tau: 50 }) });
    const problem = odeProblem(
      drift(layout.size, (_t, y, out) => {
        for (let i = 0; i < y.length; i++) out[i] = -y[i];
      }),
      { layout },
    );
    const y0 = layout.pack({ v: [1, 2], W: fromRows([[1, 0], [0, 1]]) });
    const sol = solve(problem, 'euler', {
      t0: 0,
      t1: 1,
      y0,
      dt0: 0.01,
      saveAt: { steps: 10, fn: (_t, y) => layout.view(y).W.data },
    });
    expect(sol.ts.length).toBe(11);
    expect(sol.ts[1]).toBeCloseTo(0.1, 12);
    expect(sol.ys[0].length).toBe(4);
    expect(sol.ys[10][0]).toBeCloseTo(0.99 ** 100, 12);
  });
});

describe('state layout', () => {
  test('typed views share memory with the state vector and carry time constants', () => {
    const layout = defineState({ v: vector(3, { tau: 0.1 }), W: matrix(3, 2, { tau: 10 }) });
    const y = layout.create();
    const s = layout.view(y);
    s.W.data[5] = 7;
    expect(y[3 + 5]).toBe(7);
    expect(layout.block('W').tau).toBe(10);
    expect(Array.from(layout.rates().subarray(0, 4))).toEqual([10, 10, 10, 0.1]);
    expect(layout.blockAt(4)).toMatchObject({ block: { name: 'W' }, index: 1 });
  });

  test('timeScaled divides each block by its time constant: slow weights, fast activity', () => {
    const layout = defineState({ v: vector(1, { tau: 1 }), w: vector(1, { tau: 100 }) });
    const F = drift(2, (_t, y, out) => {
      out[0] = -y[0];
      out[1] = -y[1];
    });
    const sol = solve(odeProblem(timeScaled(layout, F), { layout }), 'rk4', { t0: 0, t1: 1, y0: [1, 1], dt0: 0.01 });
    expect(sol.y[0]).toBeCloseTo(Math.exp(-1), 8);
    expect(sol.y[1]).toBeCloseTo(Math.exp(-0.01), 8);
  });

  test('sumDrift adds terms', () => {
    const a = drift(1, (_t, _y, o) => void (o[0] = 1));
    const b = drift(1, (_t, _y, o) => void (o[0] = 2));
    const sol = solve(odeProblem(sumDrift(a, b)), 'euler', { t0: 0, t1: 1, y0: [0], dt0: 0.5 });
    expect(sol.y[0]).toBeCloseTo(3, 12);
  });
});

describe('steady state', () => {
  test('dy/dt = Ay + b settles at −A⁻¹b', () => {
    const { A } = linearTestProblem();
    const b = Float64Array.from([1, -2, 0.5, 3]);
    const n = 4;
    const problem = odeProblem(
      drift(n, (_t, y, out) => {
        for (let i = 0; i < n; i++) {
          let s = b[i];
          for (let j = 0; j < n; j++) s += A.data[i * n + j] * y[j];
          out[i] = s;
        }
      }),
    );
    const r = steadyState(problem, 'dopri5', { t0: 0, y0: new Float64Array(n), tMax: 200, tol: 1e-10, rtol: 1e-10, atol: 1e-12 });
    expect(r.reason).toBe('converged');
    const minusAinvB = solveLinear(A, b).map((v) => -v);
    expect(maxAbsDiff(r.y, minusAinvB)).toBeLessThan(1e-8);
    expect(r.t).toBeLessThan(200);
  });

  test('reports the time limit when the tolerance is not reached', () => {
    const r = steadyState(decay, 'rk4', { t0: 0, y0: [1], tMax: 1, dt0: 0.01, tol: 1e-12 });
    expect(r.reason).toBe('timeLimit');
    expect(r.residual).toBeGreaterThan(1e-12);
  });
});

describe('events', () => {
  // Leaky integrate-and-fire: τ dV/dt = −V + I, spike and reset to 0 when V crosses θ.
  const tau = 0.02;
  const I = 1.5;
  const theta = 1;
  const lif = odeProblem(drift(1, (_t, y, out) => void (out[0] = (-y[0] + I) / tau)));
  const analyticISI = tau * Math.log(I / (I - theta));

  for (const [solver, extra] of [
    ['rk4', { dt0: 2 ** -12 }],
    ['dopri5', { rtol: 1e-10, atol: 1e-12 }],
    ['odex', { rtol: 1e-10, atol: 1e-12 }],
  ] as const) {
    test(`${solver}: the inter-spike interval equals τ·ln(I/(I−θ)) within 1e-6`, () => {
      const spikes: number[] = [];
      const sol = solve(lif, solver, {
        t0: 0,
        t1: 0.2,
        y0: [0],
        ...extra,
        events: [
          {
            name: 'spike',
            condition: (_t, y, out) => void (out[0] = y[0] - theta),
            handle: (t, y) => {
              spikes.push(t);
              y[0] = 0;
            },
          },
        ],
      });
      expect(sol.status).toBe('ok');
      expect(spikes.length).toBeGreaterThanOrEqual(5);
      expect(Math.abs(spikes[0] - analyticISI)).toBeLessThan(1e-6);
      for (let k = 1; k < spikes.length; k++) expect(Math.abs(spikes[k] - spikes[k - 1] - analyticISI)).toBeLessThan(1e-6);
      expect(sol.stats.events).toBe(spikes.length);
    });
  }

  test('saved states around a reset follow the pre-event trajectory, then restart from the reset', () => {
    const ts = [0.5 * analyticISI, 0.99 * analyticISI, 1.01 * analyticISI, 1.5 * analyticISI];
    const sol = solve(lif, 'rk4', {
      t0: 0,
      t1: 2 * analyticISI,
      y0: [0],
      dt0: 2 ** -10,
      saveAt: { ts },
      events: [{ condition: (_t, y, out) => void (out[0] = y[0] - theta), handle: (_t, y) => void (y[0] = 0) }],
    });
    const V = (t: number) => I * (1 - Math.exp(-t / tau));
    expect(sol.ys.map((y) => y[0])).toHaveLength(4);
    expect(Math.abs(sol.ys[0][0] - V(ts[0]))).toBeLessThan(1e-7);
    expect(Math.abs(sol.ys[1][0] - V(ts[1]))).toBeLessThan(1e-7);
    expect(Math.abs(sol.ys[2][0] - V(ts[2] - analyticISI))).toBeLessThan(1e-7);
    expect(Math.abs(sol.ys[3][0] - V(ts[3] - analyticISI))).toBeLessThan(1e-7);
  });

  test('a terminal event stops the run with status "event" at the located time', () => {
    const sol = solve(decay, 'rk4', {
      t0: 0,
      t1: 5,
      y0: [1],
      dt0: 0.01,
      events: [{ name: 'half', direction: 'down', condition: (_t, y, o) => void (o[0] = y[0] - 0.5), handle: () => 'stop' }],
    });
    expect(sol.status).toBe('event');
    expect(sol.event?.name).toBe('half');
    expect(Math.abs(sol.t - Math.log(2))).toBeLessThan(1e-9);
  });
});

describe('divergence', () => {
  test('a non-finite value stops the run with status "diverged", the time and the block', () => {
    const layout = defineState({ v: vector(1), W: vector(1) });
    const problem = odeProblem(
      drift(2, (_t, y, out) => {
        out[0] = -y[0];
        out[1] = y[1] * y[1];
      }),
      { layout },
    );
    const sol = solve(problem, 'euler', { t0: 0, t1: 10, y0: [1, 1], dt0: 0.1, maxSteps: 10_000 });
    expect(sol.status).toBe('diverged');
    expect(sol.diverged?.block).toBe('W');
    expect(sol.diverged?.t).toBeGreaterThan(0.5);
    expect(sol.message).toMatch(/diverged at t = .* block 'W'/);
    expect(Number.isFinite(sol.y[1])).toBe(true);
    expect(() => solve(problem, 'euler', { t0: 0, t1: 10, y0: [1, 1], dt0: 0.1, throwOnFailure: true })).toThrow(/diverged/);
  });

  test('maxSteps is reported as a status', () => {
    const sol = solve(decay, 'dopri5', { t0: 0, t1: 100, y0: [1], rtol: 1e-12, atol: 1e-14, maxSteps: 10 });
    expect(sol.status).toBe('maxSteps');
    expect(sol.stats.accepted + sol.stats.rejected).toBe(10);
  });

  test('the PI controller reports rejected steps and evaluations', () => {
    const stiffish = odeProblem(drift(1, (t, y, o) => void (o[0] = -50 * (y[0] - Math.cos(t)))));
    const sol = solve(stiffish, 'dopri5', { t0: 0, t1: 1, y0: [0], controller: piController({ rtol: 1e-6, atol: 1e-9 }), dt0: 0.5 });
    expect(sol.status).toBe('ok');
    expect(sol.stats.rejected).toBeGreaterThan(0);
    // first same as last: 7 evaluations for the first step, 6 for every other attempt
    expect(sol.stats.nfe).toBe(6 * (sol.stats.accepted + sol.stats.rejected) + 1);
  });
});

describe('noise and determinism', () => {
  const ou = sdeProblem(
    drift(3, (_t, y, out) => {
      for (let i = 0; i < 3; i++) out[i] = -y[i];
    }),
    additiveNoise(3, 0.5),
  );
  const run = (seed: number) => solve(ou, 'euler_maruyama', { t0: 0, t1: 1, y0: [1, 1, 1], dt0: 0.01, seed, saveAt: { steps: 1 } });

  test('same seed gives bit-identical arrays; a different seed differs', () => {
    const a = run(7);
    const b = run(7);
    const c = run(8);
    expect(a.ys.length).toBe(b.ys.length);
    for (let k = 0; k < a.ys.length; k++) expect(Array.from(a.ys[k])).toEqual(Array.from(b.ys[k]));
    expect(Array.from(a.y)).not.toEqual(Array.from(c.y));
  });

  test('a Brownian tree gives consistent increments when the step is refined', () => {
    const tree = new BrownianTree(2, 0, 1, 5);
    const coarse = new Float64Array(2);
    tree.increment(0.25, 0.5, coarse);
    const sum = new Float64Array(2);
    const part = new Float64Array(2);
    for (let k = 0; k < 8; k++) {
      tree.increment(0.25 + (k * 0.25) / 8, 0.25 + ((k + 1) * 0.25) / 8, part);
      sum[0] += part[0];
      sum[1] += part[1];
    }
    expect(maxAbsDiff(sum, coarse)).toBeLessThan(1e-12);
    const again = new Float64Array(2);
    new BrownianTree(2, 0, 1, 5).increment(0.25, 0.5, again);
    expect(Array.from(again)).toEqual(Array.from(coarse));
  });

  test('Brownian tree increments have variance t1 − t0', () => {
    const n = 20000;
    const tree = new BrownianTree(n, 0, 1, 3);
    const inc = new Float64Array(n);
    tree.increment(0.3, 0.55, inc);
    const v = inc.reduce((s, x) => s + x * x, 0) / n;
    expect(Math.abs(v - 0.25)).toBeLessThan(0.02);
  });

  test('a Brownian grid sums exactly across step sizes', () => {
    const g = new BrownianGrid(1, 0, 1, 64, 9);
    const a = new Float64Array(1);
    const b = new Float64Array(1);
    g.increment(0, 0.5, a);
    let s = 0;
    for (let k = 0; k < 32; k++) {
      g.increment(k / 64, (k + 1) / 64, b);
      s += b[0];
    }
    expect(Math.abs(a[0] - s)).toBeLessThan(1e-12);
  });

  test('fixed-step increments must be asked in time order', () => {
    const p = new BrownianIncrements(1, 1);
    const out = new Float64Array(1);
    p.increment(0, 0.1, out);
    expect(() => p.increment(0.05, 0.2, out)).toThrow(/adjacent intervals in time order/);
  });
});

describe('bad input gets an error that says what to change', () => {
  const layout = defineState({ v: vector(2), W: matrix(2, 2) });
  const good = odeProblem(drift(layout.size, (_t, _y, out) => out.fill(0)), { layout });

  test('mismatched block sizes', () => {
    expect(() => layout.pack({ W: [1, 2, 3] })).toThrow("block 'W' needs 4 entries (2x2) but the value given has 3");
    expect(() => odeProblem(drift(5, () => {}), { layout })).toThrow(/has 6 entries but the terms act on 5/);
    expect(() => solve(good, 'rk4', { t0: 0, t1: 1, y0: [0, 0, 0], dt0: 0.1 })).toThrow(
      "y0 has 3 entries but the problem's state has 6 (layout v: 2, W: 2x2); pass a y0 of length 6",
    );
  });

  test('dt0 <= 0 for a fixed-step solver', () => {
    expect(() => solve(good, 'rk4', { t0: 0, t1: 1, y0: layout.create(), dt0: 0 })).toThrow(
      "dt0 must be > 0 for a fixed-step solver (got 0); pass dt0 or choose an adaptive solver such as 'dopri5'",
    );
    expect(() => solve(good, 'euler', { t0: 0, t1: 1, y0: layout.create() })).toThrow(/dt0 must be > 0 for a fixed-step solver \(got undefined\)/);
  });

  test('a controller given as its settings, not as a controller', () => {
    // a plain object used to fail deep inside the loop with "this.controller.init is not a function"
    expect(() => solve(good, 'dopri5', { t0: 0, t1: 1, y0: layout.create(), controller: { pcoeff: 0, icoeff: 1 } as never })).toThrow(
      /controller must be a step-size controller \(piController\(\{ rtol, atol, pcoeff, icoeff, … \}\) or constantStep\(\)\), not an object without init\/adapt/,
    );
    expect(() => solve(good, 'dopri5', { t0: 0, t1: 1, y0: layout.create(), controller: 'pi' as never })).toThrow(/controller must be a step-size controller .* not string/);
  });

  test('t1 < t0', () => {
    expect(() => solve(good, 'rk4', { t0: 1, t1: 0, y0: layout.create(), dt0: 0.1 })).toThrow(
      't1 (0) is before t0 (1); integration runs forward in time: pass t1 >= t0',
    );
  });

  test('an unknown solver name lists the valid ones', () => {
    expect(() => solve(good, 'rk45', { t0: 0, t1: 1, y0: layout.create() })).toThrow(
      "unknown solver 'rk45'; valid solvers: dopri5, euler, euler_maruyama, heun, odex, rk4, stochastic_heun",
    );
  });

  test('NaN in y0 names the block', () => {
    const y0 = layout.create();
    y0[3] = NaN;
    expect(() => solve(good, 'rk4', { t0: 0, t1: 1, y0, dt0: 0.1 })).toThrow(
      "y0 has a non-finite value (NaN) at index 3 (block 'W', entry 1); the initial state must be finite",
    );
  });

  test('an empty saveAt', () => {
    expect(() => solve(good, 'rk4', { t0: 0, t1: 1, y0: layout.create(), dt0: 0.1, saveAt: { ts: [] } })).toThrow(
      'saveAt.ts is empty; give at least one time in [t0, t1], or omit saveAt.ts to save only the final state',
    );
  });

  test('an ODE-only solver given noise, and a Stratonovich scheme given state-dependent noise', () => {
    const sde = sdeProblem(drift(1, (_t, y, o) => void (o[0] = -y[0])), diffusion(1, 'diagonal', (_t, y, o) => void (o[0] = y[0])));
    expect(() => solve(sde, 'rk4', { t0: 0, t1: 1, y0: [1], dt0: 0.1, seed: 1 })).toThrow(
      "solver 'rk4' handles ODEs only but the problem has a diffusion term; choose an SDE solver: euler_maruyama, stochastic_heun",
    );
    expect(() => solve(sde, 'stochastic_heun', { t0: 0, t1: 1, y0: [1], dt0: 0.1, seed: 1 })).toThrow(/Stratonovich solution/);
    expect(() => solve(sde, 'euler_maruyama', { t0: 0, t1: 1, y0: [1], dt0: 0.1 })).toThrow(/needs a seeded Brownian path/);
  });

  test('adaptive control of a solver without an error estimate', () => {
    expect(() => solve(decay, 'rk4', { t0: 0, t1: 1, y0: [1], controller: piController() })).toThrow(/has no error estimate/);
    expect(() => solve(decay, 'odex', { t0: 0, t1: 1, y0: [1], dt0: 0.1, controller: constantStep() })).toThrow(/chooses its own steps/);
  });
});
