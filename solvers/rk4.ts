/** The classic fourth-order Runge–Kutta method (Kutta 1901): order 4, four evaluations per step. */
import { explicitRK } from './tableau';

export const rk4 = explicitRK({
  traits: { name: 'rk4', description: 'classic Runge–Kutta, order 4', order: 4, adaptive: false },
  tableau: {
    c: [0, 0.5, 0.5, 1],
    a: [[], [0.5], [0, 0.5], [0, 0, 1]],
    b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
  },
});
