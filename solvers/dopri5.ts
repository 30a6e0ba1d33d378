/**
 * Dormand–Prince 5(4) (Dormand & Prince 1980; Hairer, Nørsett & Wanner, Solving ODEs I, II.5):
 * 7 stages (the last is f at the new point, reused as the next step's first: 6 evaluations per
 * step, "first same as last"), order 5 propagated, embedded order-4 solution for the
 * error estimate, and Hairer's order-4 continuous extension (DOPRI5's CONTD5) for dense output:
 *
 *   y(t0 + θh) = r1 + θ(r2 + (1−θ)(r3 + θ(r4 + (1−θ) r5))),
 *   r1 = y0, r2 = y1 − y0, r3 = h k1 − r2, r4 = r2 − h k7 − r3, r5 = h Σ d_s k_s.
 *
 * With a constant step it is a fixed-step order-5 method; with the PI controller it is adaptive.
 */
import { explicitRK, type RKWorkspace } from './tableau';

const D = [
  -12715105075 / 11282082432, 0, 87487479700 / 32700410799, -10690763975 / 1880347072,
  701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423,
];

function denseOutput(ws: RKWorkspace) {
  const { y0, y1, h, t0 } = ws;
  const n = y0.length;
  if (ws.extra.length === 0) for (let i = 0; i < 4; i++) ws.extra.push(new Float64Array(n));
  const [r2, r3, r4, r5] = ws.extra;
  const k = ws.k;
  for (let i = 0; i < n; i++) {
    const d = y1[i] - y0[i];
    const a = h * k[0][i] - d;
    r2[i] = d;
    r3[i] = a;
    r4[i] = d - h * k[6][i] - a;
    let s = 0;
    for (let j = 0; j < 7; j++) if (D[j] !== 0) s += D[j] * k[j][i];
    r5[i] = h * s;
  }
  // y0 is the solve loop's buffer for the step start; it stays unchanged until the next step.
  return (t: number, out: Float64Array) => {
    const th = (t - t0) / h;
    const th1 = 1 - th;
    for (let i = 0; i < n; i++) out[i] = y0[i] + th * (r2[i] + th1 * (r3[i] + th * (r4[i] + th1 * r5[i])));
  };
}

export const dopri5 = explicitRK({
  traits: {
    name: 'dopri5',
    description: 'Dormand–Prince 5(4), adaptive, dense output',
    order: 5,
    errorOrder: 4,
    adaptive: true,
  },
  tableau: {
    c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
    a: [
      [],
      [1 / 5],
      [3 / 40, 9 / 40],
      [44 / 45, -56 / 15, 32 / 9],
      [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
      [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
      [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
    ],
    b: [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
    bHat: [5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40],
  },
  denseOutput,
});
