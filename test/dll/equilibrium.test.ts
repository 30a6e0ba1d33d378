import { expect, test } from 'vitest';
import { EQUILIBRIUM_SOLVERS, equilibriumSize, fixture, measureEquilibrium } from '../../models/dll/checks';
import { ApicalRelaxer } from '../../models/dll/mlp';

test('eqs. (5)-(7): every solver relaxes the apical flow to the layer-by-layer closed form', () => {
  const rows = measureEquilibrium({ ...equilibriumSize(true), seed: 3, solvers: EQUILIBRIUM_SOLVERS, tol: 1e-10 });
  expect(rows.map((r) => r.solver)).toEqual([...EQUILIBRIUM_SOLVERS]);
  for (const r of rows) {
    expect(r.reason).toBe('converged');
    expect(r.residual).toBeLessThan(1e-10);
    expect(r.maxDiff).toBeLessThanOrEqual(1e-8);
  }
});

test('the cross-entropy (nudged) output relaxes to eq. (7) as well', () => {
  const rows = measureEquilibrium({ ...equilibriumSize(true), seed: 4, solvers: ['rk4'], tol: 1e-10, loss: 'cross-entropy' });
  expect(rows[0].reason).toBe('converged');
  expect(rows[0].maxDiff).toBeLessThanOrEqual(1e-8);
});

test('forward Euler with η_x = 1 is the layer-by-layer sweep: eq. (7) after L − 1 steps', () => {
  const { net, params, input, target, batch } = fixture([5, 7, 6, 4, 3], 3, 5);
  const relaxer = new ApicalRelaxer(net, net.workspace(batch), { solver: 'euler', dt: 1, tMax: 50 });
  net.present(params, relaxer.ws, input, target);
  const r = relaxer.relaxFor(params, net.L - 1);
  const ref = net.workspace(batch);
  net.present(params, ref, input, target);
  net.closedForm(params, ref);
  for (let i = 1; i < net.L; i++) {
    for (let k = 0; k < ref.x[i].data.length; k++) expect(Math.abs(relaxer.ws.x[i].data[k] - ref.x[i].data[k])).toBeLessThan(1e-14);
  }
  expect(r.steps).toBe(net.L - 1);
});
