#!/usr/bin/env node
// The bad-input sweep behind issue #15's before/after counts: runs each command line below against a
// checkout (argument: its root; default this one), with small sizes and a time limit, and sorts the
// outcome into the kinds of fault. A case says what a correct creditflow does: 'refuse' (exit
// 2, one line naming `names`) or 'fail' (non-zero exit, one line naming `names`). Usage:
//   node scripts/bad-input-sweep.cjs [root] [--only substring] [--safe]   (prints one line per case and the counts)
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : path.join(__dirname, '..'));
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-sweep-'));
const file = path.join(tmp, 'a-file');
fs.writeFileSync(file, 'x');
const badJson = path.join(tmp, 'bad.json');
fs.writeFileSync(badJson, '{"seed": ');
const wrongType = path.join(tmp, 'wrong.json');
fs.writeFileSync(wrongType, '{"seed": "one"}');
const unknownKey = path.join(tmp, 'unknown.json');
fs.writeFileSync(unknownKey, '{"sede": 1}');

const U = ['train', 'urfb', '--train-size', '200', '--test-size', '100', '--hidden', '16', '--epochs', '1'];
const F12 = ['reproduce', 'fig12', '--steps', '20', '--dims', '4,5,5,3', '--seeds', '1', '--epsilons', '1', '--workers', '1', '--no-png'];
const F12S = ['reproduce', 'fig12-step', '--steps', '20', '--dims', '4,5,5,3', '--seeds', '1', '--epsilons', '1', '--workers', '1', '--no-png'];
const DLL = ['reproduce', 'dll-mnist', '--train-size', '256', '--epochs', '1', '--seeds', '1', '--methods', 'dll', '--sizes', '784,16,10', '--workers', '1', '--no-png'];
const LOCO = ['reproduce', 'loco-mnist', '--train-size', '100', '--epochs', '1', '--hidden', '8', '--depths', '3', '--workers', '1', '--no-png'];
const XOR = ['reproduce', 'loco-xor', '--epochs', '2', '--seeds', '1', '--workers', '1', '--no-png'];
const SIN = ['reproduce', 'loco-sin', '--epochs', '2', '--seeds', '1', '--workers', '1', '--no-png'];
const SAL = ['reproduce', 'sal-table', '--train-size', '64', '--test-size', '32', '--epochs', '1', '--seeds', '1', '--methods', 'sgd', '--width', '8', '--workers', '1', '--no-png'];
const DFCM = ['reproduce', 'dfc-mnist', '--train-size', '64', '--epochs', '1', '--rows', 'DFC', '--hidden', '8', '--steps', '5', '--fb-pretrain-epochs', '0', '--workers', '1', '--no-png'];
const DFC = ['reproduce', 'dfc-fig3', '--train-size', '64', '--test-size', '16', '--epochs', '1', '--fb-pretrain-epochs', '0', '--variants', 'DFC', '--steps', '20', '--workers', '1', '--no-png'];

/** `base` with the options named in `extra` replaced by extra's values (no option given twice). */
function ov(base, ...extra) {
  const names = new Set(extra.filter((a) => a.startsWith('--')));
  const out = [];
  for (let i = 0; i < base.length; i++) {
    if (names.has(base[i])) {
      if (base[i + 1] !== undefined && !base[i + 1].startsWith('--')) i++;
      continue;
    }
    out.push(base[i]);
  }
  return [...out, ...extra];
}

/** [kind the old code showed (for the record), args, expected, the words the message must contain] */
const cases = [
  // seeds
  ['seed', ov(U, '--seeds', '-2'), 'refuse', '--seeds'],
  ['seed', ov(U, '--seeds', '4294967296'), 'refuse', '--seeds'],
  ['seed', ov(U, '--seeds', '-1'), 'refuse', '--seeds'],
  ['seed', ov(F12, '--seeds', '1,-2'), 'refuse', '--seeds'],
  ['seed', ov(F12, '--seeds', '1,1'), 'refuse', '--seeds'],
  ['seed', ov(F12, '--seeds', '1e20'), 'refuse', '--seeds'],
  ['seed', ['verify', '--only', 'core.order.euler', '--seeds', '9007199254740993'], 'refuse', '--seeds'],
  // --out
  ['out', ov(U, '--out', ''), 'refuse', '--out'],
  ['out', ov(U, '--out', '/proc/x'), 'refuse', '--out'],
  ['out', ov(U, '--out', file), 'refuse', '--out'],
  ['out', ov(U, '--out', path.join(file, 'sub')), 'refuse', '--out'],
  ['out', ov(U, '--out', '/sys/kernel/x'), 'refuse', '--out'],
  // numbers out of range or meaningless
  ['nan', ov(U, '--lr', '1e300'), 'fail', '--lr'],
  ['nan', ov(U, '--epsilon', '1e308', '--hidden', '16,16'), 'fail', '--epsilon'],
  ['nan', ov(U, '--mu', '1e308', '--hidden', '16,16'), 'fail', '--mu'],
  ['nan', ov(F12S, '--teacher-sds', '0'), 'refuse', '--teacher-sds'],
  ['nan', ov(F12, '--teacher-sd', '0'), 'refuse', '--teacher-sd'],
  ['num', ov(U, '--lr', '0'), 'refuse', '--lr'],
  ['num', ov(U, '--lr', 'Infinity'), 'refuse', '--lr'],
  ['num', ov(U, '--lr', 'NaN'), 'refuse', '--lr'],
  ['num', ov(U, '--epochs', '1.5'), 'refuse', '--epochs'],
  ['num', ov(U, '--epochs', '0'), 'refuse', '--epochs'],
  ['num', ov(U, '--batch-size', '0'), 'refuse', '--batch-size'],
  ['num', ov(U, '--sparse', '1'), 'refuse', '--sparse'],
  ['num', ov(U, '--hidden', '0'), 'refuse', '--hidden'],
  ['num', ov(U, '--hidden', ''), 'refuse', '--hidden'],
  ['num', ov(U, '--epochs', ''), 'refuse', '--epochs'],
  ['num', ov(U, '--epochs', '0x10'), 'refuse', '--epochs'],
  ['num', ov(U, '--lr', '1_0'), 'refuse', '--lr'],
  ['num', ov(F12, '--eta', '0'), 'refuse', '--eta'],
  ['num', ov(F12, '--step-scale', '0'), 'refuse', '--step-scale'],
  ['num', ov(F12, '--dims', '4'), 'refuse', '--dims'],
  ['num', ov(F12, '--epsilons', '-1'), 'refuse', '--epsilons'],
  ['num', ov(F12, '--epsilons', '1,1'), 'refuse', '--epsilons'],
  ['num', ov(F12S, '--teacher-sds', '1,1'), 'refuse', '--teacher-sds'],
  ['num', ov(DLL, '--lr', '0'), 'refuse', '--lr'],
  ['num', ov(DLL, '--relax-dt', '1e6'), 'refuse', '--relax-dt'],
  ['num', ov(DLL, '--relax-dt', '2'), 'refuse', '--relax-dt'],
  ['num', ov(DLL, '--sizes', '784,10,10,5'), 'refuse', '--sizes'],
  ['num', ov(DLL, '--methods', 'dll,dll'), 'refuse', '--methods'],
  ['num', ov(LOCO, '--depths', '1'), 'refuse', '--depths'],
  ['num', ov(LOCO, '--depths', '3,3'), 'refuse', '--depths'],
  ['num', ov(LOCO, '--eta-ann-np', '0', '--nets', 'ann', '--rules', 'np'), 'refuse', '--eta-ann-np'],
  ['empty', ov(LOCO, '--nets', 'snn', '--rules', 'bp'), 'refuse', '--rules'],
  ['num', ov(XOR, '--eta', '0'), 'refuse', '--eta'],
  ['num', ov(SIN, '--eta-bp', '0', '--rules', 'bp'), 'refuse', '--eta-bp'],
  ['num', ov(SAL, '--lr', '0'), 'refuse', '--lr'],
  ['num', ov(DFC, '--lr', '0'), 'refuse', '--lr'],
  ['num', ov(DFC, '--student', '15,10,10,4'), 'refuse', '--student'],
  ['num', ov(DFC, '--teacher', '14,10,5'), 'refuse', '--teacher'],
  ['num', ['reproduce', 'sal-assembly', '--layer', '9', '--hidden', '2', '--epochs', '1', '--train-size', '32', '--test-size', '16', '--width', '8', '--no-png'], 'refuse', '--layer'],
  ['num', ov(XOR, '--sigma', '0'), 'refuse', '--sigma'],
  ['num', ov(LOCO, '--nets', 'ann', '--rules', 'np', '--sigma-ann', '0'), 'refuse', '--sigma-ann'],
  ['num', [...DFCM, '--dt', '0'], 'refuse', '--dt'],
  ['num', ov(DLL, '--methods', 'bp', '--batch-size', '9000'), 'refuse', '--batch-size'],
  ['num', ov(SAL, '--batch-size', '100000'), 'refuse', '--batch-size'],
  // argument syntax
  ['syntax', [...U, '--seeds', '1', '--seeds', '2'], 'refuse', '--seeds'],
  ['syntax', ov(U, 'extra'), 'refuse', 'extra'],
  ['syntax', ['reproduce', 'fig12', 'steps', '10'], 'refuse', 'steps'],
  ['syntax', ov(U, '--rule', 'URFB'), 'refuse', '--rule'],
  ['syntax', ov(U, '--resume=maybe'), 'refuse', '--resume'],
  ['syntax', ov(U, '--no-epochs'), 'refuse', '--no-epochs'],
  ['syntax', ov(U, '-x'), 'refuse', '-x'],
  ['syntax', ['reproduce'], 'refuse', 'experiment'],
  ['syntax', ['reproduce', '--steps', '3'], 'refuse', 'experiment'],
  ['syntax', ['train'], 'refuse', 'train'],
  ['syntax', ['verify', '--only', 'no.such.check'], 'refuse', '--only'],
  ['syntax', ['verify', '--only', ''], 'refuse', '--only'],
  // config files
  ['config', ov(U, '--config', path.join(tmp, 'missing.json')), 'refuse', 'config'],
  ['config', ov(U, '--config', badJson), 'refuse', 'config'],
  ['config', ov(U, '--config', wrongType), 'refuse', 'seed'],
  ['config', ov(U, '--config', unknownKey), 'refuse', 'sede'],
  ['config', ov(U, '--config'), 'refuse', '--config'],
  ['config', ov(U, '--config', tmp), 'refuse', 'config'],
  // inputs named by path
  ['input', ov(F12, '--input', path.join(tmp, 'missing.json')), 'refuse', 'input'],
  ['input', ov(F12, '--input', badJson), 'refuse', 'input'],
  ['input', ov(F12, '--input', tmp), 'refuse', 'input'],
  // sizes that cannot fit
  ['oom', ov(F12, '--steps', '1000000000'), 'refuse', '--steps'],
  ['oom', ov(U, '--hidden', '2000000000'), 'refuse', '--hidden'],
  ['oom', ov(F12, '--dims', '4,100000000,3'), 'refuse', '--dims'],
];

function classify(c, r, out) {
  const [, , expected, names] = c;
  if (r.error && r.error.code === 'ETIMEDOUT') return 'hang';
  if (r.signal === 'SIGKILL' || /heap out of memory|Allocation failed|allocation failed/i.test(r.stderr) && !/^creditflow: /.test(r.stderr)) return 'oom';
  const files = fs.existsSync(out) ? fs.readdirSync(out).filter((f) => /\.(json|csv)$/.test(f)) : [];
  const nan = files.some((f) => /\bNaN\b|(^|,)nan(,|$)/m.test(fs.readFileSync(path.join(out, f), 'utf8')));
  if (r.status === 0) return nan || /\bNaN\b/.test(r.stdout) ? 'nan-exit-0' : 'silently-wrong';
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('warning:'));
  const line = lines[lines.length - 1] ?? '';
  const stack = /\n\s+at /.test(r.stderr);
  const named = line.startsWith('creditflow: ') && line.toLowerCase().includes(names.toLowerCase());
  if (stack || lines.length !== 1 || !named) return 'wrong-message';
  if (expected === 'refuse' && r.status !== 2) return 'wrong-message';
  return 'ok';
}

const counts = {};
const bin = path.join(root, 'bin', 'creditflow.cjs');
cases.forEach((c, i) => {
  const [, args] = c;
  if (only && !args.join(' ').includes(only)) return;
  // --safe: leave out the sizes that would allocate tens of GB on a checkout that does not refuse them
  if (process.argv.includes('--safe') && c[0] === 'oom' && !args.includes('--hidden')) return console.log(`skipped         ${args.join(' ')}`);
  const out = path.join(tmp, `out${i}`);
  const full = args.includes('--out') || ['verify', 'list', 'reproduce'].includes(args[0]) && args.length < 2 || args[0] === 'verify' || args[0] === 'train' && args.length === 1 ? args : [...args, '--out', out];
  // cwd: a scratch folder (an old checkout writes `--out ''` into the current folder)
  const r = spawnSync(process.execPath, [bin, ...full], { cwd: tmp, encoding: 'utf8', timeout: 30000, env: { ...process.env, CREDITFLOW_NO_PNG: '1' } });
  const kind = classify(c, r, out);
  counts[kind] = (counts[kind] ?? 0) + 1;
  const msg = (r.stderr.trim().split('\n').pop() ?? '').slice(0, 160);
  console.log(`${kind.padEnd(15)} rc=${String(r.status ?? r.signal).padEnd(4)} ${c[0].padEnd(7)} ${full.filter((a) => a !== '--out' && a !== out).join(' ').replace(tmp, '$TMP').slice(0, 110)}  | ${msg.replace(tmp, '$TMP')}`);
});
console.log(JSON.stringify(counts));
