/**
 * Every experiment and training path of DLL (and the compare rules built on it) at a reduced size,
 * as plain numbers: what test/dll/pinned-core.test.ts compares with the values pinned before the
 * move onto the core (issue 14). `npx tsx test/dll/pinned-runs.ts` prints them as JSON.
 *
 * The linear algebra runs on the 'wasm' backend, which gives the same bits on every machine ('auto'
 * picks OpenBLAS where it is installed, and BLAS sums in another order).
 */
import { measureBpMatch, measureCoupledVsBuffered, measureEquilibrium, measureRnnBptt, coupledSize, equilibriumSize, rnnSize } from '../../models/dll/checks';
import { runMnist, runMnistPoint, type MnistRunOptions } from '../../models/dll/mnist-train';
import { rnnTask, type RnnRunOptions, type SequenceData } from '../../models/dll/rnn-train';
import { runComparison } from '../../models/compare/experiment';
import type { RuleName } from '../../models/compare/rules';
import { Rng } from '../../src/core/random';
import { DllMlp } from '../../models/dll/mlp';
import { CoupledTrainer, DllTrainer } from '../../models/dll/trainer';


const mnistBase: Omit<MnistRunOptions, 'method'> = { sizes: [784, 16, 12, 10], epochs: 2, batch: 32, lr: 1e-3, optimizer: 'adam', loss: 'cross-entropy', seed: 3, trainSize: 256, relax: { solver: 'euler', dt: 1, tol: 1e-8 } };

/** dll-mnist: the three methods, the Θ rules, SGD (the Euler slow flow), MSE, another relaxation solver. */
export function mnistRuns(): Record<string, unknown> {
  return {
    dll: runMnist({ ...mnistBase, method: 'dll' }),
    dllFa: runMnist({ ...mnistBase, method: 'dll-fa' }),
    bp: runMnist({ ...mnistBase, method: 'bp' }),
    dllCode: runMnist({ ...mnistBase, method: 'dll', thetaRule: 'code', thetaLrScale: 0.1 }),
    dllFixed: runMnist({ ...mnistBase, method: 'dll', thetaRule: 'fixed' }),
    dllSgdMse: runMnist({ ...mnistBase, method: 'dll', optimizer: 'sgd', lr: 0.05, loss: 'mse' }),
    dllSgdCode: runMnist({ ...mnistBase, method: 'dll', optimizer: 'sgd', lr: 0.02, thetaRule: 'code' }),
    dllRk4Relax: runMnist({ ...mnistBase, method: 'dll', epochs: 1, relax: { solver: 'rk4', dt: 0.5, tol: 1e-8 } }),
    dllThreeHidden: runMnist({ ...mnistBase, method: 'dll', sizes: [784, 10, 9, 8, 10], epochs: 1, relax: { solver: 'euler', dt: 0.5, tol: 1e-8 } }),
  };
}

/** dll-lr: a point that trains and one that diverges (its message is the result). */
export function lrRuns(): Record<string, unknown> {
  return {
    adam: runMnistPoint({ ...mnistBase, method: 'dll', epochs: 1, lr: 1e-2 }),
    sgdDiverges: runMnistPoint({ ...mnistBase, method: 'dll', epochs: 1, optimizer: 'sgd', lr: 1e100 }),
    relaxUnstable: runMnistPoint({ ...mnistBase, method: 'dll', epochs: 1, optimizer: 'sgd', lr: 0.1, relax: { solver: 'euler', dt: 3, tol: 1e-8 } }),
  };
}

const rnnBase: RnnRunOptions = { method: 'dll', hidden: 8, steps: 5, batch: 4, iterations: 30, lr: 3e-3, optimizer: 'adam', seed: 2, relaxMode: 'closed', relax: { solver: 'euler', dt: 1 }, evalEvery: 10 };
const text: SequenceData = { task: 'text', length: 2000, channels: 8, seed: 0 };
const series: SequenceData = { task: 'series', length: 600, channels: 3, seed: 0 };

/** dll-rnn: both tasks, the three methods, closed and flow relaxation, SGD. */
export function rnnRuns(): Record<string, unknown> {
  return {
    textDll: rnnTask({ data: text, run: rnnBase }),
    textDllFlow: rnnTask({ data: text, run: { ...rnnBase, relaxMode: 'flow' } }),
    textDllFa: rnnTask({ data: text, run: { ...rnnBase, method: 'dll-fa' } }),
    textBptt: rnnTask({ data: text, run: { ...rnnBase, method: 'bptt' } }),
    seriesDll: rnnTask({ data: series, run: rnnBase }),
    seriesDllFlowRk4: rnnTask({ data: series, run: { ...rnnBase, relaxMode: 'flow', relax: { solver: 'rk4', dt: 0.5 } } }),
    seriesDllSgd: rnnTask({ data: series, run: { ...rnnBase, optimizer: 'sgd', lr: 0.01 } }),
  };
}

/** The theorem checks (`verify --only dll`, quick sizes). */
export function checkRuns(): Record<string, unknown> {
  return {
    equilibrium: measureEquilibrium({ ...equilibriumSize(true), seed: 1, solvers: ['euler', 'heun', 'rk4', 'dopri5'], tol: 1e-10 }),
    bpMatch: measureBpMatch({ ...equilibriumSize(true), seed: 1, sigmas: [0, 0.1, 1, Infinity] }),
    coupled: measureCoupledVsBuffered({ ...coupledSize(true), seed: 1 }),
    rnnBptt: measureRnnBptt({ ...rnnSize(true), seed: 4 }),
  };
}

/** The trainers used directly (tests, notebooks): buffered SGD with a heun relaxation, and the coupled flow. */
export function trainerRuns(): Record<string, unknown> {
  const rng = new Rng(5);
  const net = new DllMlp({ sizes: [3, 6, 5, 2], hidden: 'tanh', loss: 'mse' });
  const p = net.init(rng);
  const x = rng.fillNormal(new Float64Array(8 * 3));
  const t = rng.fillUniform(new Float64Array(8 * 2), -1, 1);
  const buffered = new DllTrainer(net, p, 8, { optimizer: 'sgd', lr: 0.1, relax: { solver: 'heun', dt: 0.5, tol: 1e-8 } });
  const losses: number[] = [];
  for (let i = 0; i < 5; i++) losses.push(buffered.step(x, t));
  const relaxFor = new DllTrainer(net, net.init(new Rng(6)), 8, { optimizer: 'adam', lr: 0.01, relaxTime: 3, relax: { solver: 'euler', dt: 0.5 } });
  const lossesFor: number[] = [];
  for (let i = 0; i < 3; i++) lossesFor.push(relaxFor.step(x, t));
  const coupled = new CoupledTrainer(net, net.init(new Rng(7)), 8, { tauX: 1, tauW: 50, tauTheta: 80 }, { T: 4, solver: 'rk4', dt: 0.5 });
  for (let i = 0; i < 3; i++) coupled.present(x, t);
  const coupledEuler = new CoupledTrainer(net, net.init(new Rng(7)), 8, { tauX: 1, tauW: 50, tauTheta: 80 }, { T: 4, solver: 'euler', dt: 0.25 });
  for (let i = 0; i < 3; i++) coupledEuler.present(x, t);
  return {
    buffered: { losses, W: Array.from(buffered.params.W[1].data), Theta: Array.from(buffered.params.Theta[0].data) },
    relaxFor: { losses: lossesFor, W: Array.from(relaxFor.params.W[0].data.subarray(0, 6)) },
    coupled: Array.from(coupled.y),
    coupledEuler: Array.from(coupledEuler.y),
  };
}

/** `reproduce compare` (quick, teacher and XOR, seed 1) for some rules, wall times removed. */
async function comparison(rules: RuleName[]): Promise<unknown> {
  const runs = await runComparison({
    tasks: ['teacher', 'xor'],
    rules,
    seeds: [1],
    quick: true,
    workers: 1,
    override: { teacher: { trainSize: 96, testSize: 32, epochs: 2 }, xor: { epochs: 20 } },
  });
  return runs.map((r) => ({ rule: r.rule, task: r.task, lr: r.lr, status: r.status, curve: r.curve.map((p) => ({ ...p, wallSeconds: 0 })), final: { ...r.final, wallPerEpoch: 0 }, beginSimTime: r.beginSimTime }));
}

/** compare's rules on the DLL network (BP, FA, URFB, DLL). */
export const compareRuns = () => comparison(['BP', 'FA', 'URFB', 'DLL']);

/** compare's rules on the SAL circuit (BP-ReLU, KP, WM, SAL), stepped by sal-adapter.ts. */
export const compareSalRuns = () => comparison(['BP-ReLU', 'KP', 'WM', 'SAL']);

/** JSON that keeps NaN and ±Infinity (as strings) and every double to full precision. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x instanceof Float64Array ? Array.from(x) : x));
}

if (require.main === module) {
  void (async () => {
    const all = { mnist: mnistRuns(), lr: lrRuns(), rnn: rnnRuns(), checks: checkRuns(), trainers: trainerRuns(), compare: await compareRuns(), compareSal: await compareSalRuns() };
    process.stdout.write(toJson(all) + '\n');
  })();
}
