import { expect, test } from 'vitest';
import { runComparison, type CompareOptions } from '../../models/compare/experiment';
import { withoutTimes } from './helpers';

test('the comparison in worker threads gives the same results as in series (wall times aside)', async () => {
  const o: CompareOptions = {
    tasks: ['teacher', 'xor', 'mnist'],
    rules: ['BP', 'DFC', 'DLL', 'LOCO', 'SAL', 'URFB'],
    seeds: [1, 2],
    quick: true,
    workers: 1,
    override: { teacher: { trainSize: 96, testSize: 32, epochs: 1 }, xor: { epochs: 20 }, mnist: { trainSize: 64, testSize: 32, hidden: [8, 8], epochs: 1 } },
  };
  const serial = await runComparison(o);
  const parallel = await runComparison({ ...o, workers: 2 });
  expect(parallel.map(withoutTimes)).toEqual(serial.map(withoutTimes));
  // seeds differ, tasks differ: the runs are not trivially equal
  expect(serial.length).toBe(3 * 6 * 2);
  const a = serial.find((r) => r.task === 'xor' && r.rule === 'BP' && r.seed === 1)!;
  const b = serial.find((r) => r.task === 'xor' && r.rule === 'BP' && r.seed === 2)!;
  expect(a.final.testLoss).not.toBe(b.final.testLoss);
}, 120_000);
