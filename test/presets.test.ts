import { expect, test } from 'vitest';
import { parseOptions } from '../src/experiment/options';
import { applyPreset, withPresets } from '../src/experiment/presets';
import { experiments, loadModels, type CommandSpec } from '../src/registry';

test('every reproduce command takes --preset quick|default|paper', async () => {
  await loadModels();
  for (const name of experiments.names()) {
    const p = experiments.get(name).options.find((o) => o.name === 'preset');
    expect(p, name).toBeDefined();
    expect(p!.choices).toEqual(['quick', 'default', 'paper']);
  }
});

test('a preset fills the options still at their default; flags that differ win; an undefined paper size is a usage error', () => {
  const spec: CommandSpec = {
    name: 'demo',
    description: '',
    options: [
      { name: 'epochs', type: 'integer', description: '', default: 20 },
      { name: 'train-size', type: 'integer', description: '', default: 8000 },
    ],
    run: () => 0,
  };
  const wrapped = withPresets(spec, { quick: { epochs: 2, 'train-size': 500 }, paper: null, note: 'no size in the paper' });
  const quick = applyPreset(spec, { quick: { epochs: 2, 'train-size': 500 }, paper: null }, parseOptions(['--preset', 'quick', '--epochs', '5'], wrapped.options));
  expect(quick.epochs).toBe(5);
  expect(quick.trainSize).toBe(500);
  expect(() => applyPreset(spec, { quick: {}, paper: null, note: 'no size in the paper' }, parseOptions(['--preset', 'paper'], wrapped.options))).toThrow(/--preset paper is not defined for demo: no size in the paper/);
  expect(() => withPresets(spec, { quick: { epoch: 1 }, paper: null })).toThrow(/sets --epoch, which the command does not have/);
});
