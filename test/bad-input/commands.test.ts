/**
 * Bad input found by a command itself, before its work starts (or, for a run that diverges, as
 * soon as it does), run in-process through main(): each case with the exact message, and what it
 * leaves on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { MAX_STRING_CHARS, usableMemory } from '../../src/io/memory';
import { manifest, refusal, scratch } from './helpers';

const tmp = scratch();
const out = (name: string) => path.join(tmp, name);
const TRAIN = ['train', 'urfb', '--train-size', '200', '--test-size', '100'];

afterEach(() => vi.restoreAllMocks());

/** What main() prints to stdout for `argv` (help texts). */
async function stdout(argv: string[]): Promise<string> {
  let text = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((text += String(s)), true));
  await main(argv);
  return text;
}

test.each([
  [['reproduce', 'fig12', '--teacher-sd', '0', '--steps', '5'], '--teacher-sd 0 makes the teacher T = 0, so the default step η = c/‖T‖₂ is infinite; give --teacher-sd > 0 or an explicit --eta'],
  [['reproduce', 'fig12', '--dims', '4'], 'dims (--dims) must list at least 3 widths n_0, n_1, n_2 (a network with k >= 2 layers); got [4]'],
  [['reproduce', 'loco-mnist', '--nets', 'snn', '--rules', 'bp'], '--nets snn with --rules bp selects no run: BP trains the ANN only; add --nets ann or a rule np/loco'],
  [['reproduce', 'dll-mnist', '--relax-dt', '1e6'], '--relax-dt 1000000 is beyond the stability limit of euler (2): the relaxation would not converge; use --relax-dt 1 (exact for euler) or smaller'],
  [['reproduce', 'dll-mnist', '--relax-dt', '2'], '--relax-dt 2 is beyond the stability limit of euler (2): the relaxation would not converge; use --relax-dt 1 (exact for euler) or smaller'],
  [['reproduce', 'dll-mnist', '--relax-solver', 'rk4', '--relax-dt', '3'], '--relax-dt 3 is beyond the stability limit of rk4 (2.78): the relaxation would not converge; use --relax-dt 1 (exact for euler) or smaller'],
  [['reproduce', 'dll-lr', '--relax-solver', 'heun', '--relax-dt', '2.5'], '--relax-dt 2.5 is beyond the stability limit of heun (2): the relaxation would not converge; use --relax-dt 1 (exact for euler) or smaller'],
  [['reproduce', 'dll-rnn', '--relax', 'flow', '--relax-dt', '5'], '--relax-dt 5 is beyond the stability limit of euler (2): the relaxation would not converge; use --relax-dt 1 (exact for euler) or smaller'],
  [['reproduce', 'dll-mnist', '--sizes', '784,16,9'], '--sizes must start with 784 (the inputs of --data mnist) and end with 10 (its classes); got 784,16,9'],
  [['reproduce', 'dll-mnist', '--train-size', '256', '--batch-size', '9000'], '--batch-size 9000 is larger than --train-size 256, so an epoch has no full minibatch; use --batch-size 256 or less'],
  [['reproduce', 'dll-lr', '--train-size', '100', '--batch-size', '128'], '--batch-size 128 is larger than --train-size 100, so an epoch has no full minibatch; use --batch-size 100 or less'],
  [['reproduce', 'sal-table', '--train-size', '64', '--batch-size', '100'], '--batch-size 100 is larger than --train-size 64, so an epoch has no full minibatch; use --batch-size 64 or less'],
  [['reproduce', 'sal-assembly', '--seeds', '1,2'], '--seeds takes one seed here: sal-assembly trains one network (got 1,2); run it once per seed for several'],
  [['verify', '--only', 'core.order.euler,core.nope'], '--only core.nope matches no theorem check (a typo would silently run fewer checks); ids start with: core, dfc, dll, lif, loco, sal, urfb'],
  [['verify', '--seeds', '-1'], 'each value of --seeds must be >= 0 (got -1)'],
  [['verify', '--seeds', '1,2'], '--seeds takes one seed here: verify runs each check once (got 1,2); run it once per seed for several'],
  [['train', 'urfb', 'extra'], "unexpected argument 'extra': options start with -- (see creditflow train urfb --help)"],
  [['reproduce', 'fig12', 'steps', '10'], "unexpected argument 'steps': options start with -- (see creditflow reproduce fig12 --help)"],
  [['train', 'urfb', '-x'], "unexpected argument '-x': options start with -- (see creditflow train urfb --help)"],
  [['reproduce', 'nope'], "unknown experiment 'nope'; valid experiments: compare, dfc-fig3, dfc-fig4, dfc-mnist, dll-lr, dll-mnist, dll-rnn, fig12, fig12-step, loco-continual, loco-mnist, loco-sin, loco-xor, sal-ablation, sal-assembly, sal-table, sal-width, solver-study, urfb-mnist"],
])('%j is refused before any work: %s', async (argv, message) => {
  const dir = out(`refused-${argv.join('-').replace(/[^\w]+/g, '_')}`);
  expect(await refusal(() => main([...argv, '--out', dir].filter((a, i, all) => !(argv[0] === 'verify' && (a === '--out' || all[i - 1] === '--out'))) as string[]))).toBe(message);
  expect(fs.existsSync(dir)).toBe(false);
});

test.each([
  [['reproduce', 'dll-mnist', '--batch', '32'], '--batch', '--batch-size'],
  [['reproduce', 'sal-width', '--seed', '1'], '--seed', '--seeds'],
  [['verify', '--seed', '1'], '--seed', '--seeds'],
])('one spelling per concept: %j is an unknown option, and the list names the one spelling', async (argv, old, spelling) => {
  const message = await refusal(() => main(argv));
  expect(message.startsWith(`unknown option ${old}; valid options: `)).toBe(true);
  expect(message.split('valid options: ')[1].split(', ')).toContain(spelling);
});

test('reproduce fig12 refuses a size that cannot fit, saying how much it needs and the largest --steps that fits', async () => {
  const have = usableMemory();
  const gb = (b: number) => (b >= 1e9 ? `${(b / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(b / 1e6))} MB`);
  // 15 runs (3 seeds x BP + 4 ε) of k = 3 layers: 75 series of steps + 1 values, 300 bytes and 22 characters each,
  // and each run's state: 8 matrices of the 40-100-100-10 layers (15,000 weights), X = I (40 x 40) and T (10 x 40).
  const values = (steps: number) => 75 * (steps + 1);
  const state = 15 * 8 * (8 * 15000 + 1600 + 400);
  const maxSteps = Math.floor(Math.min((have - (2e8 + 300 * 75 + state)) / (300 * 75), MAX_STRING_CHARS / (22 * 75))) - 1;
  expect(await refusal(() => main(['reproduce', 'fig12', '--steps', '1000000000', '--out', out('f12-huge')]))).toBe(
    `--steps 1000000000 with 15 runs needs about ${gb(2e8 + 300 * values(1e9) + state)} of memory, more than the ${gb(have)} this machine can give a run; lower --steps to at most ${maxSteps} (or run fewer seeds or ε)`,
  );
  expect(fs.existsSync(out('f12-huge'))).toBe(false);
  const big = 400_000;
  const expected =
    2e8 + 300 * values(big) + state > have
      ? `--steps ${big} with 15 runs needs about ${gb(2e8 + 300 * values(big) + state)} of memory, more than the ${gb(have)} this machine can give a run; lower --steps to at most ${maxSteps} (or run fewer seeds or ε)`
      : `--steps ${big} with 15 runs would write an output text of about ${Math.round((22 * values(big)) / 1e6)} million characters, more than the ${Math.floor(MAX_STRING_CHARS / 1e6)} million one string can hold; lower --steps to at most ${maxSteps} (or run fewer seeds or ε)`;
  expect(await refusal(() => main(['reproduce', 'fig12', '--steps', String(big), '--out', out('f12-big')]))).toBe(expected);
});

test('reproduce fig12 refuses widths whose matrices cannot fit, naming --dims', async () => {
  const have = usableMemory();
  const need = 15 * 8 * (8 * (4 * 1e8 + 1e8 * 3) + 16 + 12);
  const gb = (b: number) => (b >= 1e9 ? `${(b / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(b / 1e6))} MB`);
  expect(await refusal(() => main(['reproduce', 'fig12', '--dims', '4,100000000,3', '--out', out('f12-dims')]))).toBe(
    `--dims 4,100000000,3 with 15 runs needs about ${gb(need)} of memory, more than the ${gb(have)} this machine can give a run; lower the widths in --dims (or run fewer seeds or ε)`,
  );
});

test('train urfb and urfb-mnist refuse widths that cannot fit, saying how much they need', async () => {
  const have = usableMemory();
  const gb = (b: number) => (b >= 1e9 ? `${(b / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(b / 1e6))} MB`);
  // 784-100000-100000-10: 8 arrays of every layer's weights and 6 per unit of a 50-image minibatch, float64, plus 200 MB.
  const one = 8 * (8 * (784 * 1e5 + 1e5 * 1e5 + 1e5 * 10) + 6 * 50 * (1e5 + 1e5 + 10));
  expect(await refusal(() => main(['train', 'urfb', '--hidden', '100000,100000', '--out', out('wide')]))).toBe(
    `--hidden 100000,100000 with --batch-size 50 needs about ${gb(2e8 + one)} of memory, more than the ${gb(have)} this machine can give a run; lower the widths in --hidden or --batch-size`,
  );
  expect(await refusal(() => main(['reproduce', 'urfb-mnist', '--hidden', '100000,100000', '--workers', '2', '--out', out('wide2')]))).toBe(
    `--hidden 100000,100000 with --batch-size 50 on 2 worker(s) needs about ${gb(2e8 + 2 * one)} of memory, more than the ${gb(have)} this machine can give a run; lower the widths in --hidden, --batch-size or --workers`,
  );
  expect(fs.existsSync(out('wide'))).toBe(false);
});

test('every --help states the accepted seed range', async () => {
  expect(await stdout(['train', 'urfb', '--help'])).toMatch(/--seeds <integers> +seed of the initial weights, masks and minibatch order \(one value: train urfb trains one network\) \[0, 4294967295\] \(default 1\)/);
  expect(await stdout(['reproduce', 'fig12', '--help'])).toMatch(/--seeds <integers> +one run per seed \(draws T, R\(0\), BP W\(0\)\) \[0, 4294967295\] \(default 1,2,3\)/);
});

test('train urfb --lr 1e300 stops with the epoch and the options to lower, exit 2, manifest failed (was: NaN written, exit 0)', async () => {
  const dir = out('lr');
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  // the loss's last digits depend on the linear-algebra backend (BLAS sums in another order)
  expect(await refusal(() => main([...TRAIN, '--hidden', '16', '--epochs', '1', '--lr', '1e300', '--out', dir]))).toMatch(
    /^training diverged in epoch 1 \(loss 4\.76841548253\d*e\+299; the alignment corr\(W_l, R_lᵀ\) \(weights too large to correlate\) not finite\); lower --lr \(now 1e\+300\) or --epsilon \(now 1\) or --mu \(now 0\.2\)$/,
  );
  expect(manifest(dir)).toMatchObject({ status: 'failed', files: [] });
});

test('train urfb --epsilon 1e308 names --epsilon (was: "lower --lr")', async () => {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  expect(await refusal(() => main([...TRAIN, '--hidden', '16,16', '--epochs', '1', '--epsilon', '1e308', '--out', out('eps')]))).toBe(
    'training diverged in epoch 1 (W1 not finite at minibatch 2 of 4); lower --lr (now 0.1) or --epsilon (now 1e+308) or --mu (now 0.2)',
  );
});

test('--resume with fewer --epochs than the checkpoint, or other settings, is refused and leaves the finished run as it was', async () => {
  const dir = out('resume');
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  expect(await main([...TRAIN, '--hidden', '16', '--epochs', '2', '--out', dir])).toBe(0);
  const finished = fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8');
  expect(JSON.parse(finished)).toMatchObject({ status: 'ok', files: ['train.json', 'train_epochs.csv'] });
  const ck = path.join(dir, 'checkpoints', 'train');
  expect(await refusal(() => main([...TRAIN, '--hidden', '16', '--epochs', '1', '--out', dir, '--resume']))).toBe(
    `the checkpoint in ${ck} is at epoch 2, past the 1 epochs asked for; resume with --epochs 2 or more, or choose another --out`,
  );
  expect(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe(finished);
  expect(await refusal(() => main([...TRAIN, '--hidden', '16', '--epochs', '2', '--lr', '0.05', '--out', dir, '--resume']))).toBe(
    `the checkpoint in ${ck} was made with other settings (lr: 0.1 in the checkpoint, 0.05 now); resume with the same options or choose another --out`,
  );
  expect(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe(finished);
  expect(fs.existsSync(path.join(dir, '.creditflow.lock'))).toBe(false);
});

test('a checkpoint damaged on disk is refused on --resume, naming the file and the fix', async () => {
  const dir = out('damaged');
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  expect(await main([...TRAIN, '--hidden', '16', '--epochs', '1', '--out', dir])).toBe(0);
  const file = path.join(dir, 'checkpoints', 'train', 'checkpoint.bin');
  fs.writeFileSync(file, '');
  expect(await refusal(() => main([...TRAIN, '--hidden', '16', '--epochs', '2', '--out', dir, '--resume']))).toBe(
    `${file} is empty (a checkpoint is at least 48 bytes); delete ${path.dirname(file)} to start that run afresh, or choose another --out`,
  );
  expect(manifest(dir)).toMatchObject({ status: 'ok', files: ['train.json', 'train_epochs.csv'] });
});
