/**
 * The LOCO training paths that test/lif/pinned-core.test.ts does not pin, at reduced sizes: every
 * path through `PerturbationLearner` (and the BP baselines trained beside it) on the ANN, the code
 * variant's rate network with Adam, loco-sin's paper and code variants, and loco-xor's code variant.
 * pinned-learner.test.ts holds the numbers the code gave before the learner's updates moved onto
 * `solve` (issue 14).
 *
 * Regenerate (only when a change of numbers is intended): npx tsx test/loco/pinned-learner.ts print
 */
import { setBackend } from '../../src/linalg/backend';
import { mnistData } from '../../models/loco/experiments/common';
import { trainContinual } from '../../models/loco/experiments/continual';
import { trainMnist, type MnistConfig } from '../../models/loco/experiments/mnist';
import { trainSin } from '../../models/loco/experiments/sin';
import { trainXorCode } from '../../models/loco/experiments/xor';

export function learnerCases(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const rule of ['bp', 'np', 'loco'] as const) {
    const r = trainSin({ rule, seed: 2, epochs: 30, eta: rule === 'bp' ? 0.05 : 0.005, sigma: 1e-3, k: 4 });
    out[`sin ${rule}`] = [...r.losses, ...r.firstStepCosine, r.diverged ? 1 : 0];
  }
  for (const rule of ['np', 'loco'] as const) {
    const r = trainSin({ rule, seed: 3, epochs: 30, eta: 1e-3, sigma: 0.005, k: 4, variant: 'code' });
    out[`sin code ${rule}`] = [...r.losses, r.diverged ? 1 : 0];
    const x = trainXorCode({ rule, seed: 2, epochs: 6, batch: 4 });
    out[`xor code ${rule}`] = [...x.after.output, ...x.history.map((h) => h.loss).slice(1), ...x.after.hidden.flat(), x.solvedAt ?? -1];
  }
  const data = mnistData(200);
  const base: MnistConfig = { net: 'ann', rule: 'np', depth: 4, hidden: 12, epochs: 2, batch: 25, eta: 0.03, sigma: 0.01, k: 4, clusters: 3, buffer: 10, steps: 4, noise: 0.3, trainSize: 200, seed: 5 };
  for (const rule of ['bp', 'np', 'loco'] as const) {
    const r = trainMnist({ ...base, rule, eta: rule === 'bp' ? 0.5 : rule === 'np' ? 0.03 : 0.1 }, data);
    out[`mnist ann ${rule}`] = [...r.accuracy, ...r.trainLoss];
  }
  for (const rule of ['np', 'loco'] as const) {
    const r = trainMnist({ ...base, net: 'rate', rule, eta: rule === 'np' ? 3e-4 : 1e-3, sigma: 0.005, noise: 0, optimizer: 'adam' }, data);
    out[`mnist rate ${rule}`] = [...r.accuracy, ...r.trainLoss];
  }
  // a diverging run: the step whose loss is not finite is the last one taken
  {
    const r = trainMnist({ ...base, rule: 'np', eta: 50, epochs: 2 }, data);
    out['mnist ann np diverging'] = [...r.accuracy, ...r.trainLoss, r.diverged?.epoch ?? -1, r.diverged?.loss ?? -1];
  }
  for (const rule of ['bp', 'loco'] as const) {
    const c = trainContinual({ net: 'ann', rule, hidden: 10, epochsPerClass: 1, batch: 20, eta: rule === 'bp' ? 0.1 : 0.1, sigma: 0.01, k: 4, clusters: 3, buffer: 10, steps: 4, noise: 0, seed: 3, order: [3, 7, 1] }, data);
    out[`continual ann ${rule}`] = [...c.seenAccuracy, ...c.perClass.flat()];
  }
  return out;
}

if (process.argv[2] === 'print') {
  setBackend('wasm');
  for (const [k, v] of Object.entries(learnerCases())) console.log(`  ${JSON.stringify(k)}: [${v.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join(', ')}],`);
}
