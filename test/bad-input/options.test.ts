/**
 * Bad command-line values, refused by the parsing and validation layer (src/experiment/options.ts and
 * each command's declared ranges) before any work starts: one case per line, each with the exact
 * message. Parsed directly (no process spawned).
 */
import { expect, test } from 'vitest';
import { parse, refusal } from './helpers';

const cases: [string, string[], string][] = [
  ["train urfb", ["--seeds", "-2"], "each value of --seeds must be >= 0 (got -2)"],
  ["train urfb", ["--seeds", "-1"], "each value of --seeds must be >= 0 (got -1)"],
  ["train urfb", ["--seeds", "4294967296"], "each value of --seeds must be <= 4294967295 (got 4294967296)"],
  ["train urfb", ["--seeds", "1.5"], "each value of --seeds must be an integer (got 1.5)"],
  ["train urfb", ["--seeds", "1e20"], "each value of --seeds must be <= 4294967295 (got 100000000000000000000)"],
  ["train urfb", ["--seeds", "1,2"], "--seeds takes one seed here: train urfb trains one network (got 1,2); for several seeds run reproduce urfb-mnist --protocols <rule> --seeds 1,2"],
  ["train urfb", ["--seed", "1"], "unknown option --seed; valid options: --help, --json, --config, --backend, --rule, --sparse, --hidden, --epochs, --batch-size, --lr, --mu, --epsilon, --data, --data-dir, --train-size, --test-size, --solver, --dt0, --rtol, --atol, --seeds, --out, --checkpoint-every, --resume"],
  ["fig12", ["--seeds", "1,-2"], "each value of --seeds must be >= 0 (got -2)"],
  ["fig12", ["--seeds", "1,1"], "--seeds lists 1 twice; give each value once"],
  ["fig12", ["--seeds", "3,4294967296"], "each value of --seeds must be <= 4294967295 (got 4294967296)"],
  ["fig12-step", ["--seeds", "2,2"], "--seeds lists 2 twice; give each value once"],
  ["dll-mnist", ["--seeds", "0,-1"], "each value of --seeds must be >= 0 (got -1)"],
  ["train urfb", ["--out", ""], "--out must name a folder (got ''); pass e.g. --out out/run"],
  ["train urfb", ["--out", "   "], "--out must name a folder (got '   '); pass e.g. --out out/run"],
  ["train urfb", ["--out", "/proc/x"], "--out cannot be under /proc (got '/proc/x'); choose a folder on a disk, e.g. --out out/run"],
  ["train urfb", ["--out", "/sys/kernel/x"], "--out cannot be under /sys (got '/sys/kernel/x'); choose a folder on a disk, e.g. --out out/run"],
  ["train urfb", ["--out", "/dev/null/x"], "--out cannot be under /dev (got '/dev/null/x'); choose a folder on a disk, e.g. --out out/run"],
  ["train urfb", ["--out", "package.json"], "--out is a file, not a folder (got 'package.json'); choose a folder, e.g. --out package.json-run"],
  ["train urfb", ["--lr", "0"], "--lr must be > 0 (got 0)"],
  ["train urfb", ["--lr", "-0.1"], "--lr must be >= 0 (got -0.1)"],
  ["train urfb", ["--lr", "Infinity"], "--lr must be a number (got 'Infinity')"],
  ["train urfb", ["--lr", "NaN"], "--lr must be a number (got 'NaN')"],
  ["train urfb", ["--lr", "1e999"], "--lr must be a number (got '1e999')"],
  ["train urfb", ["--lr", "1_0"], "--lr must be a number (got '1_0')"],
  ["train urfb", ["--lr", "0x1"], "--lr must be a decimal number such as 12, 0.5 or 1e-3 (got '0x1')"],
  ["train urfb", ["--epochs", "0x10"], "--epochs must be a decimal number such as 12, 0.5 or 1e-3 (got '0x10')"],
  ["train urfb", ["--epochs", "0b11"], "--epochs must be a decimal number such as 12, 0.5 or 1e-3 (got '0b11')"],
  ["train urfb", ["--epochs", "1.5"], "--epochs must be an integer (got 1.5)"],
  ["train urfb", ["--epochs", "0"], "--epochs must be >= 1 (got 0)"],
  ["train urfb", ["--epochs", ""], "--epochs must be a number (got '')"],
  ["train urfb", ["--epochs"], "--epochs needs a value"],
  ["train urfb", ["--batch-size", "0"], "--batch-size must be >= 1 (got 0)"],
  ["train urfb", ["--sparse", "1"], "--sparse must be <= 0.95 (got 1)"],
  ["train urfb", ["--hidden", "0"], "each value of --hidden must be >= 1 (got 0)"],
  ["train urfb", ["--hidden", ","], "--hidden needs at least one value (comma-separated)"],
  ["train urfb", ["--train-size", "-1"], "--train-size must be >= 0 (got -1)"],
  ["train urfb", ["--rule", "URFB"], "--rule must be one of bp, bp-hinge, frfb, urfb (got 'URFB')"],
  ["train urfb", ["--resume=maybe"], "--resume is a flag: pass it without a value, or true/false (got 'maybe')"],
  ["train urfb", ["--no-epochs"], "unknown option --no-epochs; valid options: --help, --json, --config, --backend, --rule, --sparse, --hidden, --epochs, --batch-size, --lr, --mu, --epsilon, --data, --data-dir, --train-size, --test-size, --solver, --dt0, --rtol, --atol, --seeds, --out, --checkpoint-every, --resume"],
  ["train urfb", ["--seeds", "1", "--seeds", "2"], "--seeds is given twice (1 and 2); give it once"],
  ["fig12", ["--png", "--no-png"], "--png is given twice (true and false); give it once"],
  ["train urfb", ["--frobnicate"], "unknown option --frobnicate; valid options: --help, --json, --config, --backend, --rule, --sparse, --hidden, --epochs, --batch-size, --lr, --mu, --epsilon, --data, --data-dir, --train-size, --test-size, --solver, --dt0, --rtol, --atol, --seeds, --out, --checkpoint-every, --resume"],
  ["fig12", ["--epsilons", "1,1"], "--epsilons lists 1 twice; give each value once"],
  ["fig12", ["--epsilons", "-1"], "each value of --epsilons must be >= 0 (got -1)"],
  ["fig12", ["--eta", "0"], "--eta must be > 0 (got 0)"],
  ["fig12", ["--solver", "rk5"], "--solver must be one of euler, euler_maruyama, heun, stochastic_heun, rk4, dopri5, odex (got 'rk5')"],
  ["fig12-step", ["--teacher-sds", "0"], "--teacher-sds values must be > 0 (got 0)"],
  ["fig12-step", ["--teacher-sds", "1,0.5,1"], "--teacher-sds lists 1 twice; give each value once"],
  ["dll-mnist", ["--lr", "0"], "--lr must be > 0 (got 0)"],
  ["dll-mnist", ["--methods", "dll,dll"], "--methods lists dll twice; give each value once"],
  ["dll-mnist", ["--relax-dt", "0"], "--relax-dt must be >= 0.000001 (got 0)"],
  ["dll-lr", ["--lrs", "0.1,0"], "--lrs values must be > 0 (got 0)"],
  ["dll-lr", ["--lrs", "0.1,0.1"], "--lrs lists 0.1 twice; give each value once"],
  ["loco-mnist", ["--depths", "2"], "each value of --depths must be >= 3 (got 2)"],
  ["loco-mnist", ["--depths", "3,3"], "--depths lists 3 twice; give each value once"],
  ["loco-mnist", ["--nets", "snn,snn"], "--nets lists snn twice; give each value once"],
  ["loco-mnist", ["--eta-ann-np", "0"], "--eta-ann-np must be > 0 (got 0)"],
  ["loco-xor", ["--eta", "0"], "--eta must be > 0 (got 0)"],
  ["loco-sin", ["--eta-bp", "0"], "--eta-bp must be > 0 (got 0)"],
  ["loco-continual", ["--eta-np", "0"], "--eta-np must be > 0 (got 0)"],
  ["sal-table", ["--lr", "0"], "--lr must be > 0 (got 0)"],
  ["sal-table", ["--methods", "sal,sal"], "--methods lists sal twice; give each value once"],
  ["sal-width", ["--ratios", "1,1"], "--ratios lists 1 twice; give each value once"],
  ["dfc-fig3", ["--lr", "0"], "--lr must be > 0 (got 0)"],
  ["dfc-fig4", ["--lambdas", "0.1,0.1"], "--lambdas lists 0.1 twice; give each value once"],
  ["dfc-fig4", ["--alphas", "0.1,0.01,0.1"], "--alphas lists 0.1 twice; give each value once"],
  ["dfc-mnist", ["--rows", "BP,BP"], "--rows lists BP twice; give each value once"],
  ["urfb-mnist", ["--protocols", "bp,bp"], "--protocols lists bp twice; give each value once"],
  ["urfb-mnist", ["--lr", "0"], "--lr must be > 0 (got 0)"],
  ["compare", ["--rules", "BP,BP"], "--rules lists BP twice; give each value once"],
  ["compare", ["--seeds", "-5"], "each value of --seeds must be >= 0 (got -5)"],
  ["verify", ["--seed", "-1"], "unknown experiment 'verify'; valid experiments: compare, dfc-fig3, dfc-fig4, dfc-mnist, dll-lr, dll-mnist, dll-rnn, fig12, fig12-step, loco-continual, loco-mnist, loco-sin, loco-xor, sal-ablation, sal-assembly, sal-table, sal-width, solver-study, urfb-mnist"],
];

test.each(cases)('%s %j is refused: %s', async (command, argv, message) => {
  expect(await refusal(() => parse(command, argv))).toBe(message);
});

test('good values still parse: the seed range ends are accepted, shapes may repeat widths', async () => {
  expect((await parse('train urfb', ['--seeds', '0'])).seeds).toEqual([0]);
  expect((await parse('train urfb', ['--seeds', '4294967295'])).seeds).toEqual([4294967295]);
  expect((await parse('fig12', ['--dims', '40,100,100,10'])).dims).toEqual([40, 100, 100, 10]);
  expect((await parse('train urfb', ['--epochs', '1e1', '--lr', '.5'])).epochs).toBe(10);
});
