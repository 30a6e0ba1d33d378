/**
 * The nonlinear student-teacher regression task of Figs. 3-4: a randomly initialised ReLU teacher
 * (issue 4: 15-1000-1000-1000-1000-5, He-initialised N(0, 2/fan_in), linear output, no biases)
 * maps inputs drawn uniformly on [−1, 1]^15 to targets; the student is a 15-10-10-5 tanh network.
 * Teacher outputs are rescaled to unit average variance per output (our choice: the paper does
 * not give the teacher's output scale, and it sets the useful range of λ).
 */
import { Rng } from '../../../src/core/random';
import { matMulTB } from '../../../src/linalg/kernels';
import { mat } from '../../../src/linalg/mat';
import type { Data } from '../trainer';

export function teacherData(sizes: readonly number[], nTrain: number, nTest: number, seed: number): { train: Data; test: Data } {
  if (sizes.length < 2) throw new Error(`teacher sizes need at least an input and an output width (got [${sizes.join(', ')}])`);
  const rng = new Rng(seed);
  const W = sizes.slice(1).map((n, i) => {
    const m = mat(n, sizes[i]);
    rng.fillNormal(m.data, Math.sqrt(2 / sizes[i]));
    return m;
  });
  const n = nTrain + nTest;
  const X = mat(n, sizes[0]);
  rng.fillUniform(X.data, -1, 1);
  let H = X;
  for (let l = 0; l < W.length; l++) {
    const Z = mat(n, W[l].rows);
    matMulTB(H, W[l], Z);
    if (l < W.length - 1) for (let k = 0; k < Z.data.length; k++) Z.data[k] = Z.data[k] > 0 ? Z.data[k] : 0;
    H = Z;
  }
  const out = sizes[sizes.length - 1];
  let mean = 0;
  let sq = 0;
  for (let k = 0; k < H.data.length; k++) {
    mean += H.data[k];
    sq += H.data[k] * H.data[k];
  }
  mean /= H.data.length;
  const sd = Math.sqrt(Math.max(1e-300, sq / H.data.length - mean * mean));
  for (let k = 0; k < H.data.length; k++) H.data[k] = (H.data[k] - mean) / sd;
  const d = sizes[0];
  return {
    train: { x: X.data.slice(0, nTrain * d), y: H.data.slice(0, nTrain * out), n: nTrain },
    test: { x: X.data.slice(nTrain * d), y: H.data.slice(nTrain * out), n: nTest },
  };
}
