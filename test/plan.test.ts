/**
 * Sweep plans without SLURM or Redis (those are in test/system/): the plan format and run ids,
 * run-one and gather (a gathered sweep equals a local reproduce, a partial one names its missing
 * and failed runs), every experiment's sweep can be planned, the bad-input messages, and progress
 * as plain lines when stderr is not a terminal.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { captureSweep, gather, reproduceCommand, runOne } from '../src/cli/plan';
import { parseOptions } from '../src/experiment/options';
import { main } from '../src/cli/main';
import { canonicalJson, readPlan, runId, type PlannedRun } from '../src/io/plan';
import { Progress } from '../src/io/progress';
import { experiments, loadModels } from '../src/registry';
import { cli, expectExit, expectSameOutputs } from './sweep-helpers';
import type { RunContext } from '../src/experiment/context';

const made: string[] = [];
function tmp(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `creditflow-plan-${name}-`));
  made.push(d);
  return d;
}
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const quiet: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total, { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream) };
const SIN = ['--rules', 'bp,np', '--seeds', '1,2', '--epochs', '20', '--variant', 'paper', '--no-png']; // the paper variant: four runs

/** main() with stdout quiet; resolves to its exit code or rejects with its one-line error. */
async function run(argv: string[]): Promise<number> {
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return await main(argv);
  } finally {
    spy.mockRestore();
  }
}

function runsOf(dir: string): PlannedRun[] {
  return readPlan(dir).runs;
}

describe('the plan', () => {
  test('one line per run (index, id, key, module, function, arguments); the same options give the same ids anywhere', async () => {
    const a = path.join(tmp('a'), 'p');
    const b = path.join(tmp('b'), 'other-name');
    expect(await run(['plan', 'loco-sin', ...SIN, '--out', a])).toBe(0);
    expect(await run(['plan', 'loco-sin', ...SIN, '--out', b, '--workers', '1'])).toBe(0);
    const { header, runs } = readPlan(a);
    expect(header).toMatchObject({ format: 'creditflow-plan/1', experiment: 'loco-sin', runs: 4, label: 'loco-sin', command: ['reproduce', 'loco-sin', ...SIN, '--out', a] });
    expect(header.options).toMatchObject({ rules: ['bp', 'np'], seeds: [1, 2], epochs: 20, png: false, out: a });
    expect(runs.map((r) => r.key)).toEqual(['bp-seed1', 'bp-seed2', 'np-seed1', 'np-seed2']);
    expect(runs[0]).toEqual({ index: 0, id: runs[0].id, key: 'bp-seed1', module: 'models/loco/experiments/sin.ts', fn: 'sinRun', units: 20, args: { rule: 'bp', seed: 1, epochs: 20, eta: 0.05, sigma: 0.001, k: 10 } });
    expect(runs[0].id).toMatch(/^bp-seed1-[0-9a-f]{10}$/);
    expect(new Set(runs.map((r) => r.id)).size).toBe(4);
    // Another folder and --workers (which change nothing computed) give the same plan.
    expect(readPlan(b).header.planId).toBe(header.planId);
    expect(runsOf(b).map((r) => r.id)).toEqual(runs.map((r) => r.id));
    expect(fs.readFileSync(path.join(a, 'plan', 'runs.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    expect(fs.existsSync(path.join(a, 'manifest.json'))).toBe(false); // planning is not a run of the experiment
  });

  test('run ids come from the run alone: key order, machine and path do not matter, arguments do', () => {
    const t = { key: 'w:r0.5/seed 1', module: 'models/x/task.ts', fn: 'train', args: { b: [1, 2], a: { y: 1, x: NaN }, checkpoint: { dir: '/here', every: 1, resume: false } } };
    const id = runId(t);
    expect(id).toBe('w_r0.5_seed_1-913b28a9f5'); // pinned: ids must not change between versions or machines
    expect(runId({ ...t, module: path.join(path.resolve(__dirname, '..'), 'models/x/task.ts'), args: { a: { x: NaN, y: 1 }, b: [1, 2], checkpoint: { dir: '/elsewhere', every: 5, resume: true } } })).toBe(id);
    expect(runId({ ...t, args: { ...t.args, b: [1, 3] } })).not.toBe(id);
    const big = new Float64Array(1000).map((_, i) => i);
    expect(canonicalJson({ x: big })).toMatch(/^\{"x":\{"Float64Array":\{"length":1000,"sha256":"[0-9a-f]{64}"\}\}\}$/);
    expect(canonicalJson({ x: new Float64Array([1, Infinity]) })).toBe('{"x":{"Float64Array":[1,{"number":"Infinity"}]}}');
  });

  test('every experiment hands runSweep a plannable list of runs with distinct keys', async () => {
    await loadModels();
    const small: Record<string, string[]> = { 'dfc-mnist': ['--train-size', '64'], 'dfc-fig3': ['--train-size', '64'], 'dfc-fig4': ['--train-size', '64'] };
    for (const name of experiments.names()) {
      const spec = experiments.get(name);
      const { tasks } = await captureSweep(spec, parseOptions([...(small[name] ?? []), '--out', path.join(tmp('all'), name)], spec.options));
      expect(tasks.length, name).toBeGreaterThan(0);
      expect(new Set(tasks.map((t) => runId(t as Required<typeof t>))).size, name).toBe(tasks.length);
    }
  }, 120_000);

  test('the plan command without its plan-only options is the equivalent reproduce command', () => {
    expect(reproduceCommand('sal-width', ['--seeds', '1', '--slurm', '--slurm-time=1:00:00', '--slurm-mem', '4G', '--out', 'x', '--submit', '--no-png'])).toEqual(['reproduce', 'sal-width', '--seeds', '1', '--out', 'x', '--no-png']);
  });
});

describe('run-one and gather', () => {
  test('runs done one at a time, gathered: the files of a local reproduce, byte for byte; a partial sweep names the runs not done', async () => {
    const work = tmp('gather');
    expectExit(cli(['reproduce', 'loco-sin', ...SIN, '--out', 'sweep'], work));
    fs.renameSync(path.join(work, 'sweep'), path.join(work, 'local'));
    expectExit(cli(['plan', 'loco-sin', ...SIN, '--out', 'sweep', '--slurm'], work));
    const dir = path.join(work, 'sweep');
    const runs = runsOf(dir);
    expect(await runOne(dir, 0, undefined, quiet)).toBe(0);
    expect(await runOne(dir, undefined, runs[2].id, quiet)).toBe(0);
    expect(await runOne(dir, 0, undefined, quiet)).toBe(0); // already done: not run again
    // Run 3 failed: its status file says so (as run-one writes it).
    fs.writeFileSync(path.join(dir, 'plan', 'status', `${runs[3].id}.json`), JSON.stringify({ id: runs[3].id, index: 3, key: runs[3].key, state: 'failed', host: 'node7', pid: 1, by: 'slurm job 12_3', started: '', error: 'out of memory' }));

    const partial = cli(['gather', 'sweep'], work);
    expect(partial.status).toBe(1);
    const lines = partial.stderr.trim().split('\n');
    expect(lines[0]).toBe(`creditflow: gather: 2 of 4 runs of loco-sin in sweep are not done (1 missing, 1 failed); run them with sbatch --array=1,3 sweep/plan/slurm.sbatch, or creditflow run-one sweep --index i (i = 1,3), or creditflow queue submit sweep --redis URL, then gather again`);
    expect(partial.stderr).toMatch(/\n1\s+bp-seed2\s+missing\s/);
    expect(partial.stderr).toMatch(/\n3\s+np-seed2\s+failed\s+slurm job 12_3 on node7: out of memory/);
    expect(fs.existsSync(path.join(dir, 'manifest.json'))).toBe(false); // nothing written

    expect(await runOne(dir, 1, undefined, quiet)).toBe(0);
    expect(await runOne(dir, 3, undefined, quiet)).toBe(0);
    const gathered = expectExit(cli(['gather', 'sweep'], work));
    expect(gathered.stdout).toContain('final loss');
    expectSameOutputs(path.join(work, 'local'), dir);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.command).toBe(`creditflow reproduce loco-sin ${SIN.join(' ')} --out sweep`);
  }, 120_000);

  test('gather never takes a result from another plan; run-one and gather refuse a plan the code no longer makes', async () => {
    const a = path.join(tmp('mix'), 'a');
    const b = path.join(tmp('mix'), 'b');
    expect(await run(['plan', 'loco-sin', '--rules', 'bp', '--seeds', '1', '--epochs', '5', '--out', a])).toBe(0);
    expect(await run(['plan', 'loco-sin', '--rules', 'bp', '--seeds', '1', '--epochs', '6', '--out', b])).toBe(0);
    expect(await runOne(b, 0, undefined, quiet)).toBe(0);
    fs.mkdirSync(path.join(a, 'checkpoints'), { recursive: true });
    fs.copyFileSync(path.join(b, 'checkpoints', 'bp-seed1.result'), path.join(a, 'checkpoints', 'bp-seed1.result'));
    await expect(gather(a, quiet)).rejects.toThrow(/bp-seed1\.result is not the result of run 0 \(bp-seed1\) of the plan in .*: delete it and run it again with `creditflow run-one .* --index 0`/);
    await expect(runOne(a, 0, undefined, quiet)).rejects.toThrow(/was made with other settings/);

    const file = path.join(b, 'plan', 'runs.jsonl');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/"id":"bp-seed1-[0-9a-f]+"/, '"id":"bp-seed1-0000000000"'));
    await expect(gather(b, quiet)).rejects.toThrow(/no longer matches what this creditflow makes of its options \(run 0 \(bp-seed1\) was bp-seed1-0000000000, is now bp-seed1-[0-9a-f]{10}\).*plan again into a new --out/);
  }, 60_000);
});

describe('bad input: one line saying what to do, before any work', () => {
  const dir = path.join(tmp('bad'), 'p');
  beforeAll(async () => {
    expect(await run(['plan', 'loco-sin', '--rules', 'bp', '--seeds', '1,2', '--epochs', '5', '--out', dir])).toBe(0);
  });

  test.each([
    ['a plan folder of another experiment', ['plan', 'loco-xor', '--out', dir], /holds a plan of loco-sin, not loco-xor; plan into another --out, or delete .*plan to replace it/],
    ['a plan folder with other options', ['plan', 'loco-sin', '--rules', 'bp', '--seeds', '1,2', '--epochs', '6', '--out', dir], /holds a plan of loco-sin with other options \(--epochs 5 there, 6 now\); plan into another --out/],
    ['an unknown run id', ['run-one', dir, '--id', 'nope'], /unknown run id 'nope' for the plan in .*; its 2 ids are listed in .*runs\.jsonl \(e\.g\. bp-seed1-/],
    ['an index past the end', ['run-one', dir, '--index', '2'], /--index must be in 0\.\.1: the plan in .* has 2 runs \(got 2\)/],
    ['neither --index nor --id', ['run-one', dir], /run-one needs one of --index i or --id ID/],
    ['a folder without a plan', ['gather', os.tmpdir()], /holds no sweep plan \(plan\/plan\.json is missing\); make one with `creditflow plan <experiment> \[options\] --out/],
    ['a plan without an experiment', ['plan', '--out', dir], /plan needs an experiment name: creditflow plan <experiment> \[options\] --out DIR; valid experiments: /],
    ['a bad Redis URL', ['queue', 'submit', dir, '--redis', 'localhost:6379'], /--redis must be a redis:\/\/ or rediss:\/\/ URL such as redis:\/\/127\.0\.0\.1:6379 \(got 'localhost:6379'\)/],
    ['a SLURM option without --slurm', ['plan', 'loco-sin', '--out', dir, '--slurm-partition', 'gpu'], /--slurm-partition is a SLURM setting: add --slurm/],
    ['a bad SLURM time', ['plan', 'loco-sin', '--out', dir, '--slurm', '--slurm-time', '2h'], /--slurm-time must be minutes, h:mm:ss or d-hh:mm:ss as sbatch --time takes it \(got '2h'\)/],
    ['a bad extra sbatch line', ['plan', 'loco-sin', '--out', dir, '--slurm', '--slurm-extra=--account=lab;qos'], /each entry of --slurm-extra must be an sbatch option such as --account=lab \(got 'qos'\)/],
  ])('%s', async (_what, argv, message) => {
    const error = await run(argv).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(message);
    expect(error!.message).not.toContain('\n');
  });

  test('an unreachable Redis', async () => {
    const saved = process.env.CREDITFLOW_REDIS;
    delete process.env.CREDITFLOW_REDIS;
    try {
      await expect(run(['queue', 'submit', dir])).rejects.toThrow(/^--redis URL is needed \(e\.g\. --redis redis:\/\/127\.0\.0\.1:6379\), or set CREDITFLOW_REDIS$/);
    } finally {
      if (saved !== undefined) process.env.CREDITFLOW_REDIS = saved;
    }
    const port = await new Promise<number>((resolve) => {
      const s = require('node:net').createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    for (const argv of [['queue', 'submit', dir], ['queue', 'status', dir], ['worker']]) {
      await expect(run([...argv, '--redis', `redis://127.0.0.1:${port}`])).rejects.toThrow(new RegExp(`^cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\); start redis-server there or pass the right --redis URL$`));
    }
    // A password in the URL is not printed.
    await expect(run(['queue', 'submit', dir, '--redis', `redis://:hunter2@127.0.0.1:${port}`])).rejects.toThrow(`cannot reach Redis at redis://:***@127.0.0.1:${port} (`);
  });

  test('a SLURM script submitted where sbatch is missing', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(run(['plan', 'loco-sin', '--rules', 'bp', '--seeds', '1,2', '--epochs', '5', '--out', dir, '--slurm', '--submit'])).rejects.toThrow(/^sbatch is not installed here: the plan and .*slurm\.sbatch are written; submit it with `sbatch .*slurm\.sbatch` on a machine of the SLURM cluster \(its login node\), or run the plan with `creditflow queue submit` or `creditflow run-one`$/);
    } finally {
      process.env.PATH = saved;
    }
    // The script itself, run without SLURM, says how to submit it.
    const { SLURM_ARRAY_TASK_ID: _unset, ...env } = process.env;
    const r = spawnSync('bash', [path.join(dir, 'plan', 'slurm.sbatch')], { encoding: 'utf8', env });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`creditflow: this is a SLURM job array script: submit it with sbatch ${path.join(dir, 'plan', 'slurm.sbatch')} (SLURM_ARRAY_TASK_ID is not set)\n`);
  });
});

describe('progress where stderr is not a terminal (batch logs)', () => {
  function captured(isTTY: boolean) {
    const out: string[] = [];
    return { out, stream: { isTTY, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream };
  }

  test('plain timestamped lines at the interval, and a last line; nothing for a command shorter than the interval', () => {
    vi.stubEnv('CREDITFLOW_PROGRESS_SECONDS', '0');
    try {
      const { out, stream } = captured(false);
      const p = new Progress('sal-width identity-r2-seed1', 4, stream);
      p.tick(1, 'epoch 1');
      p.tick(3, 'epoch 4');
      p.finish();
      expect(out).toHaveLength(3);
      expect(out[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ sal-width identity-r2-seed1: 1\/4 \(25%\), \d+s elapsed, \d+s left \(epoch 1\)\n$/);
      expect(out[2]).toMatch(/: 4\/4 \(100%\), .* \(finished\)\n$/);
      expect(out.join('')).not.toMatch(/[\r\x1b]/);
    } finally {
      vi.unstubAllEnvs();
    }
    const { out, stream } = captured(false);
    const p = new Progress('quick', 2, stream); // default interval: 30 s
    p.tick(2);
    p.finish();
    expect(out).toEqual([]);
  });

  test('on a terminal: the bar, redrawn in place', () => {
    vi.stubEnv('CI', '');
    try {
      const { out, stream } = captured(true);
      const p = new Progress('fig12', 2, stream);
      p.tick(2, 'done');
      p.finish();
      expect(out[0]).toMatch(/^\rfig12 █+ 2\/2 .* done\x1b\[K$/);
      expect(out[1]).toBe('\n');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
