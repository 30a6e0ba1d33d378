/**
 * Forward Euler: y1 = y0 + h f(t0, y0). Order 1, one evaluation per step. ODE only; the same step
 * with a Brownian increment is 'euler_maruyama'. With step η on a gradient flow this is gradient
 * descent with learning rate η (the papers' "iteration").
 */
import { explicitRK } from './tableau';

export const euler = explicitRK({
  traits: { name: 'euler', description: 'forward Euler, order 1', order: 1, adaptive: false },
  tableau: { c: [0], a: [[]], b: [1] },
});
