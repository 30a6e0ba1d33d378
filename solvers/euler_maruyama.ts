/**
 * Euler–Maruyama for Itô SDEs dy = f dt + g dW:  y1 = y0 + f(t0, y0) h + g(t0, y0) ΔW, where the
 * diffusion term says how g meets ΔW (diagonal, scalar or general matrix noise).
 * Strong order 0.5 with state-dependent noise, 1 with additive noise; weak order 1.
 * Without noise it is forward Euler (order 1). A diffusion term on one block of the state
 * (`blockDiffusion`) gets its noise added there only, in one pass that also updates the drift's
 * fused-update sum (so `solve` need not scan the state for divergence); the result is the same.
 */
import type { StepInfo, StepSolver } from '../src/core/solver';

interface EMWorkspace {
  f: Float64Array;
  g: Float64Array;
  gdW: Float64Array;
  /** g on the diffusion's block (a term with `block`). */
  gBlock: Float64Array;
  info: StepInfo;
}

/**
 * y1[offset + i] += g[i] ΔW[offset + i] for i < size; returns Σ of the changes (new − old), which is
 * ±∞ or NaN when a new entry is. Its own function: V8 optimises the loop far better than inside step.
 */
function addBlockNoise(y1: Float64Array, g: Float64Array, dW: Float64Array, offset: number, size: number): number {
  let change = 0;
  for (let i = 0; i < size; i++) {
    const k = offset + i;
    const before = y1[k];
    const after = before + g[i] * dW[k];
    y1[k] = after;
    change += after - before;
  }
  return change;
}

/** As addBlockNoise with g = c on the whole block (a constant amplitude). */
function addBlockNoiseConstant(y1: Float64Array, c: number, dW: Float64Array, offset: number, size: number): number {
  let change = 0;
  for (let k = offset; k < offset + size; k++) {
    const before = y1[k];
    const after = before + c * dW[k];
    y1[k] = after;
    change += after - before;
  }
  return change;
}

export const eulerMaruyama: StepSolver<EMWorkspace> = {
  kind: 'step',
  name: 'euler_maruyama',
  description: 'Euler–Maruyama (Itô), strong order 0.5 (1 for additive noise), weak order 1',
  order: 1,
  strongOrder: 0.5,
  weakOrder: 1,
  adaptive: false,
  ode: true,
  sde: {
    calculus: 'ito',
    noise: ['additive', 'diagonal', 'scalar-additive', 'scalar', 'general-additive', 'general'],
    strongOrderFor: { additive: 1, 'scalar-additive': 1, 'general-additive': 1 },
  },
  dense: false,
  init(problem) {
    const n = problem.dim;
    // f only without the drift's fused update; g ΔW only with noise (on the block only for a block term)
    const d = problem.diffusion;
    const block = d?.block !== undefined && d.shape === 'diagonal';
    return {
      f: new Float64Array(problem.drift.euler ? 0 : n),
      g: new Float64Array(d && !block ? d.gSize : 0),
      gdW: new Float64Array(d && !block ? n : 0),
      gBlock: new Float64Array(block && d!.block!.amplitude === undefined ? d!.block!.size : 0),
      info: { nfe: 0 },
    };
  },
  step(problem, t0, t1, y0, dW, y1, ws) {
    const h = t1 - t0;
    const n = y0.length;
    const drift = problem.drift;
    ws.info.sum = undefined;
    if (drift.euler) ws.info.sum = drift.euler(t0, y0, h, y1);
    else {
      drift.vf(t0, y0, ws.f);
      const f = ws.f;
      for (let i = 0; i < n; i++) y1[i] = y0[i] + h * f[i];
    }
    ws.info.nfe = 1;
    const d = problem.diffusion;
    if (d && dW && d.block !== undefined && d.shape === 'diagonal') {
      // noise on one block: y1 += g ΔW there in one pass, Σ y1 updated by the changes
      const b = d.block;
      let change: number;
      if (b.amplitude !== undefined) change = addBlockNoiseConstant(y1, b.amplitude, dW, b.offset, b.size);
      else {
        b.g(t0, y0, ws.gBlock);
        change = addBlockNoise(y1, ws.gBlock, dW, b.offset, b.size);
      }
      ws.info.nfe = 2;
      if (ws.info.sum !== undefined) ws.info.sum += change;
    } else if (d && dW) {
      d.g(t0, y0, ws.g);
      d.prod(ws.g, dW, ws.gdW);
      const gdW = ws.gdW;
      for (let i = 0; i < n; i++) y1[i] += gdW[i];
      ws.info.nfe = 2;
      ws.info.sum = undefined;
    }
    return ws.info;
  },
};
