/**
 * Typed option declarations (src/experiment/options.ts `opt`, `OptionsOf`; src/experiment/groups.ts):
 * the types are checked by `tsc --noEmit` (test/typecheck.test.ts, `npm run typecheck`), where
 * every `@ts-expect-error` below must be an error; the run-time tests check that the parsed values
 * have the keys and types the declarations promise, and that the groups keep the one-line errors.
 */
import { describe, expect, test } from 'vitest';
import { opt, parseOptions, typedOptionsFrom, UsageError, type OptionsOf, type OptionSpec, type ParsedOf } from '../src/experiment/options';
import { batchSizeOption, outputOptions, seedsOption, solverOptions, sweepOptions, trainingOptions } from '../src/experiment/groups';
import { defineCommand } from '../src/registry';

const specs = [
  ...outputOptions('demo'),
  seedsOption({ default: [1, 2] }),
  ...trainingOptions({ epochs: 20, batchSize: 32, lr: 0.01 }),
  opt.choice('loss', 'objective', ['cross-entropy', 'mse'], { default: 'mse' }),
  opt.choices('gates', 'gates', ['identity', 'relu-jacobian'], { default: ['identity'] }),
  opt.integer('layer', 'hidden layer', { min: 2 }),
  opt.string('data-dir', 'folder'),
  ...solverOptions({ solver: 'euler' }),
  ...sweepOptions('runs'),
] as const;
type Opts = OptionsOf<typeof specs>;

/** Type-level checks: compile-time only (tsc fails on a wrong type or an unused @ts-expect-error). */
export function typeChecks(o: Opts, p: ParsedOf<typeof specs>): unknown[] {
  const out: string = o.out;
  const png: boolean = o.png;
  const seeds: number[] = o.seeds;
  const epochs: number = o.epochs;
  const batch: number = o.batchSize;
  const loss: 'cross-entropy' | 'mse' = o.loss;
  const gates: ('identity' | 'relu-jacobian')[] = o.gates;
  const layer: number | undefined = o.layer;
  const dir: string | undefined = o.dataDir;
  const dt0: number | undefined = o.dt0;
  const workers: number = o.workers;
  const json: boolean = p.json;
  // @ts-expect-error an option without a default is optional
  const layerAlways: number = o.layer;
  // @ts-expect-error a value outside the choices
  const wrongChoice: Opts['loss'] = 'l1';
  // @ts-expect-error seeds are numbers
  const wrongSeeds: Opts['seeds'] = ['1'];
  // @ts-expect-error --batch is spelt --batch-size
  const oldName = o.batch;
  // @ts-expect-error --seed is spelt --seeds
  const oldSeed = o.seed;
  // @ts-expect-error a string where the declaration says integer
  typedOptionsFrom({ epochs: '3' }, specs, 'f');
  const untyped: OptionSpec[] = [{ name: 'loose', type: 'string', description: 'an untyped declaration' }];
  // @ts-expect-error an untyped OptionSpec adds nothing to the type
  const loose = ({} as OptionsOf<typeof untyped>).loose;
  return [out, png, seeds, epochs, batch, loss, gates, layer, dir, dt0, workers, json, layerAlways, wrongChoice, wrongSeeds, oldName, oldSeed, loose];
}

describe('typed options', () => {
  test('parsed values have the declared camelCase keys and types, defaults filled in', () => {
    const o = parseOptions(['--batch-size', '16', '--gates', 'identity,relu-jacobian', '--data-dir', '/tmp'], specs) as unknown as ParsedOf<typeof specs>;
    expect(o.batchSize).toBe(16);
    expect(o.gates).toEqual(['identity', 'relu-jacobian']);
    expect(o.dataDir).toBe('/tmp');
    expect(o.seeds).toEqual([1, 2]);
    expect(o.out).toBe('out/demo');
    expect(o.png).toBe(true);
    expect(o.loss).toBe('mse');
    expect(o.solver).toBe('euler');
    expect('layer' in o).toBe(false);
  });

  test('a function call: typed input, defaults, and the run-time check for callers without a compiler', () => {
    const o = typedOptionsFrom({ epochs: 3, loss: 'cross-entropy' }, specs, 'demo()');
    expect([o.epochs, o.loss, o.batchSize, o.json]).toEqual([3, 'cross-entropy', 32, false]);
    expect(() => typedOptionsFrom({ epochs: 0 }, specs, 'demo()')).toThrow(new UsageError("demo(): field 'epochs' must be >= 1 (got 0)"));
    expect(() => typedOptionsFrom({ batch: 3 } as never, specs, 'demo()')).toThrow(/^demo\(\): unknown field 'batch'; valid fields: .*batch-size/);
  });

  test('the groups keep the one-line errors', () => {
    expect(() => parseOptions(['--batch-size', '0'], specs)).toThrow(new UsageError('--batch-size must be >= 1 (got 0)'));
    expect(() => parseOptions(['--batch', '8'], specs)).toThrow(/^unknown option --batch; valid options: .*--batch-size/);
    expect(() => parseOptions(['--seed', '1'], specs)).toThrow(/^unknown option --seed; valid options: .*--seeds/);
    expect(() => parseOptions(['--seeds', '1,1'], specs)).toThrow(new UsageError('--seeds lists 1 twice; give each value once'));
    expect(() => parseOptions(['--seeds', '-1'], specs)).toThrow(new UsageError('each value of --seeds must be >= 0 (got -1)'));
    expect(() => parseOptions(['--lr', '0'], specs)).toThrow(new UsageError('--lr must be > 0 (got 0)'));
    expect(() => parseOptions(['--loss', 'l1'], specs)).toThrow(new UsageError("--loss must be one of cross-entropy, mse (got 'l1')"));
    const one = [seedsOption({ single: 'demo trains one network' }), batchSizeOption(8)];
    expect(parseOptions(['--seeds', '7'], one).seeds).toEqual([7]);
    expect(() => parseOptions(['--seeds', '1,2'], one)).toThrow(new UsageError('--seeds takes one seed here: demo trains one network (got 1,2); run it once per seed for several'));
  });

  test('defineCommand: the same CommandSpec at run time, with typed options in run', async () => {
    let seen: number | undefined;
    const cmd = defineCommand({
      name: 'demo',
      description: 'a typed command',
      options: [batchSizeOption(8), opt.integer('layer', 'k')],
      run(o) {
        const b: number = o.batchSize;
        // @ts-expect-error layer has no default
        const k: number = o.layer;
        seen = b + (k ?? 0);
      },
    });
    await cmd.run(parseOptions(['--batch-size', '5'], cmd.options), { log: () => {}, progress: () => ({ tick() {}, finish() {} }) as never, json: false });
    expect(seen).toBe(5);
  });
});
