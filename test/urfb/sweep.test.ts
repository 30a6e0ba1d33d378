/** The URFB reproductions on worker threads: --workers 1 and 2 give identical results; fig12's run-level resume. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import { fig12Command } from '../../models/urfb/fig12-report';
import { mnistCommand } from '../../models/urfb/mnist-report';
import type { CommandSpec } from '../../src/registry';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'urfb-sweep-'));

async function run(spec: CommandSpec, args: string[], out: string): Promise<void> {
  const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total, { isTTY: false } as NodeJS.WriteStream) };
  expect(await spec.run(parseOptions([...args, '--no-png', '--out', out], spec.options), ctx)).toBe(0);
}

const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
const fig12Args = ['--dims', '6,8,8,3', '--steps', '40', '--seeds', '1,2', '--epsilons', '0,1', '--step-scale', '0.03'];

test('fig12: two worker threads give the same runs as one, bit for bit', async () => {
  const outs = [1, 2].map((w) => path.join(tmp, `fig12-w${w}`));
  for (const [i, out] of outs.entries()) await run(fig12Command, [...fig12Args, '--workers', String(i + 1)], out);
  for (const f of ['fig12.json', 'fig12_error.csv', 'fig12_correlation.csv', 'fig12_summary.csv']) expect(read(outs[1], f)).toBe(read(outs[0], f));
  expect(fs.readdirSync(outs[1])).not.toContain('checkpoints'); // runs are only kept with --checkpoint-every or --resume
});

test('fig12 --resume loads the finished runs and runs only the missing one', async () => {
  const out = path.join(tmp, 'fig12-resume');
  await run(fig12Command, [...fig12Args, '--workers', '1', '--checkpoint-every', '1'], out);
  const ck = path.join(out, 'checkpoints');
  const stored = fs.readdirSync(ck).sort();
  expect(stored).toHaveLength(6);
  const before = Object.fromEntries(stored.map((f) => [f, fs.statSync(path.join(ck, f)).mtimeMs]));
  const whole = read(out, 'fig12.json');
  fs.rmSync(path.join(ck, 'seed2-eps1.result'));
  await new Promise((r) => setTimeout(r, 20));
  await run(fig12Command, [...fig12Args, '--workers', '2', '--resume'], out);
  expect(read(out, 'fig12.json')).toBe(whole);
  for (const f of stored) {
    if (f === 'seed2-eps1.result') expect(fs.statSync(path.join(ck, f)).mtimeMs).toBeGreaterThan(before[f]);
    else expect(fs.statSync(path.join(ck, f)).mtimeMs).toBe(before[f]); // loaded, not run again
  }
});

test('urfb-mnist: two worker threads give the same runs as one (all but the measured seconds)', async () => {
  const args = ['--protocols', 'urfb,frfb-50', '--seeds', '1', '--hidden', '16', '--epochs', '2', '--train-size', '300', '--test-size', '100'];
  const runs = async (workers: number) => {
    const out = path.join(tmp, `mnist-w${workers}`);
    await run(mnistCommand, [...args, '--workers', String(workers)], out);
    const json = JSON.parse(read(out, 'urfb_mnist.json'));
    for (const r of json.runs) for (const e of r.epochs) delete e.seconds;
    return json;
  };
  const serial = await runs(1);
  const parallel = await runs(2);
  expect(parallel).toEqual(serial);
  expect(serial.runs.map((r: { protocol: string }) => r.protocol)).toEqual(['URFB', 'FRFB 50%']);
});
