/**
 * Discrete optimisers applied to update directions Δ (a descent direction of the loss or energy:
 * Δ = −gradient for BP; the DLL paper's ascent direction of its L; DFC's ΔW, ΔQ), shared by the models.
 *
 * - 'sgd': p ← p + η Δ, the forward-Euler step of the slow flow τ dp/dt = Δ with η = dt/τ.
 * - 'adam': Adam (Kingma & Ba) on g = −Δ, the DLL and DFC papers' optimiser,
 *   β1 = 0.9, β2 = 0.999, ε = 1e-8. Adam is a preconditioner on top of the flow's direction, not a
 *   flow itself; it is offered because the paper's learning-rate scale (Fig. 3) refers to it.
 */
export type OptimizerName = 'sgd' | 'adam';

export interface Optimizer {
  readonly name: OptimizerName;
  lr: number;
  /**
   * The optimiser's own state by name, live (updated in place by `step`): Adam's moments `adamM<k>`,
   * `adamV<k>` and its step count `adamT` (a one-entry array); none for SGD. Checkpoints save it.
   */
  readonly state: Record<string, Float64Array>;
  /** params[k] ← params[k] + step(directions[k]). */
  step(params: readonly Float64Array[], directions: readonly Float64Array[]): void;
}

export function makeOptimizer(name: OptimizerName, lr: number, sizes: readonly number[]): Optimizer {
  if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`learning rate must be a finite number > 0 (got ${lr})`);
  if (name === 'sgd') {
    return {
      name,
      lr,
      state: {},
      step(params, dirs) {
        checkShapes(params, dirs, sizes);
        for (let k = 0; k < params.length; k++) {
          const p = params[k];
          const d = dirs[k];
          for (let i = 0; i < p.length; i++) p[i] += this.lr * d[i];
        }
      },
    };
  }
  if (name === 'adam') {
    const m = sizes.map((n) => new Float64Array(n));
    const v = sizes.map((n) => new Float64Array(n));
    const b1 = 0.9;
    const b2 = 0.999;
    const eps = 1e-8;
    const t = new Float64Array(1);
    const state: Record<string, Float64Array> = { adamT: t };
    sizes.forEach((_, k) => {
      state[`adamM${k}`] = m[k];
      state[`adamV${k}`] = v[k];
    });
    return {
      name,
      lr,
      state,
      step(params, dirs) {
        checkShapes(params, dirs, sizes);
        t[0]++;
        const c1 = 1 / (1 - b1 ** t[0]);
        const c2 = 1 / (1 - b2 ** t[0]);
        for (let k = 0; k < params.length; k++) {
          const p = params[k];
          const d = dirs[k];
          const mk = m[k];
          const vk = v[k];
          for (let i = 0; i < p.length; i++) {
            const g = -d[i];
            mk[i] = b1 * mk[i] + (1 - b1) * g;
            vk[i] = b2 * vk[i] + (1 - b2) * g * g;
            p[i] -= (this.lr * (mk[i] * c1)) / (Math.sqrt(vk[i] * c2) + eps);
          }
        }
      },
    };
  }
  throw new Error(`unknown optimizer '${String(name)}'; valid optimizers: sgd, adam`);
}

/** Everything a checkpoint of a training run must hold: the parameters (`param<k>`) and the optimiser's state, all live. */
export function trainingArrays(params: readonly Float64Array[], optimizer: Optimizer): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = { ...optimizer.state };
  params.forEach((p, k) => (out[`param${k}`] = p));
  return out;
}

function checkShapes(params: readonly Float64Array[], dirs: readonly Float64Array[], sizes: readonly number[]): void {
  if (params.length !== sizes.length || dirs.length !== sizes.length) {
    throw new Error(`optimizer was built for ${sizes.length} arrays but got ${params.length} parameters and ${dirs.length} directions`);
  }
  for (let k = 0; k < sizes.length; k++) {
    if (params[k].length !== sizes[k] || dirs[k].length !== sizes[k]) {
      throw new Error(`optimizer array ${k} has ${params[k].length} parameters and ${dirs[k].length} directions; expected ${sizes[k]}`);
    }
  }
}
