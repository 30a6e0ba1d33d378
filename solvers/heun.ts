/**
 * Heun's method (explicit trapezoidal rule): k1 = f(t0, y0), k2 = f(t1, y0 + h k1),
 * y1 = y0 + h (k1 + k2)/2. Order 2, two evaluations per step. ODE only; its stochastic
 * counterpart is 'stochastic_heun'.
 */
import { explicitRK } from './tableau';

export const heun = explicitRK({
  traits: { name: 'heun', description: "Heun's method (explicit trapezoid), order 2", order: 2, adaptive: false },
  tableau: { c: [0, 1], a: [[], [1]], b: [0.5, 0.5] },
});
