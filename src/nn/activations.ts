/** Pointwise nonlinearities with their derivatives, by name (a registry). */
import { Registry } from '../core/registry';

export interface Activation {
  readonly name: string;
  f(x: number): number;
  /** Derivative with respect to the pre-activation x. */
  df(x: number): number;
}

export const activations = new Registry<Activation>('activation');
const add = (a: Activation) => activations.register(a.name, a);

export const linear = add({ name: 'linear', f: (x) => x, df: () => 1 });
export const relu = add({ name: 'relu', f: (x) => (x > 0 ? x : 0), df: (x) => (x > 0 ? 1 : 0) });
export const tanh = add({ name: 'tanh', f: Math.tanh, df: (x) => 1 - Math.tanh(x) ** 2 });
export const sigmoid = add({
  name: 'sigmoid',
  f: (x) => 1 / (1 + Math.exp(-x)),
  df: (x) => {
    const s = 1 / (1 + Math.exp(-x));
    return s * (1 - s);
  },
});
/** Saturated linear σ(x) = clip(x, −1, 1) (URFB paper, remark after eq. 3). */
export const hardtanh = add({ name: 'hardtanh', f: (x) => (x > 1 ? 1 : x < -1 ? -1 : x), df: (x) => (x > -1 && x < 1 ? 1 : 0) });

/** out[i] = f(x[i]). */
export function applyActivation(act: Activation, x: Float64Array, out: Float64Array): void {
  const f = act.f;
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
}

/** out[i] = f'(x[i]). */
export function applyDerivative(act: Activation, x: Float64Array, out: Float64Array): void {
  const df = act.df;
  for (let i = 0; i < x.length; i++) out[i] = df(x[i]);
}
