/**
 * The papers' cross-method claims that the comparison (same tasks, initialisation, data order and
 * budget) can test: LOCO ahead of NP (LOCO Figs. 2-3), updated feedback ahead of fixed (URFB Fig. 5:
 * URFB vs FA), DFC close to BP and ahead of DFA (DFC Table 1), BP ahead of DLL (DLL Table 1). Each
 * verdict is computed by the rule the claim calls (src/io/claims.ts) from the per-seed final test
 * loss (every task) or accuracy (MNIST).
 */
import { claim, closeTo, ordering, samples, type Claim } from '../../src/io/claims';
import type { RunResult } from './run';

/** `data` names a task's data where the setting should say it (the image task: 'Fashion-MNIST 8,000/2,000'). */
export function compareClaims(results: readonly RunResult[], tasks: readonly string[], seeds: readonly number[], quick: boolean, data: Partial<Record<string, string>> = {}): Claim[] {
  const out: Claim[] = [];
  const size = quick ? 'quick sizes' : 'default sizes';
  for (const task of tasks) {
    const setting = `compare task '${task}' (${data[task] ? `${data[task]}, ` : ''}${size}; same architecture, initialisation, data order and budget for every rule), ${seeds.length} seeds`;
    const has = (rule: string) => results.some((r) => r.task === task && r.rule === rule);
    const metric = (rule: string, m: 'testLoss' | 'testAccuracy') =>
      samples(`${rule} ${m === 'testLoss' ? 'test loss' : 'test accuracy'}`, seeds.map((s) => {
        const r = results.find((q) => q.task === task && q.rule === rule && q.seed === s);
        return r && r.status === 'ok' ? r.final[m] : NaN;
      }), m === 'testAccuracy' ? { scale: 100, unit: '%' } : {});
    if (has('LOCO') && has('NP')) out.push(claim('LOCO Figs. 2-3', 'LOCO learns better than node perturbation', setting, ordering(metric('LOCO', 'testLoss'), metric('NP', 'testLoss'), 'lower'), task));
    if (has('URFB') && has('FA')) out.push(claim('URFB Fig. 5', 'updated feedback (URFB) at least as good as fixed random feedback (FA)', setting, ordering(metric('URFB', 'testLoss'), metric('FA', 'testLoss'), 'lower'), task));
    if (task === 'mnist') {
      if (has('DFC') && has('BP')) out.push(claim('DFC Table 1', 'DFC close to BP on MNIST (2.25% vs 2.08% error)', setting, closeTo(metric('DFC', 'testAccuracy'), metric('BP', 'testAccuracy'), 0.5), task));
      if (has('DFC') && has('DFA')) out.push(claim('DFC Table 1', 'DFC ahead of DFA on MNIST (2.25% vs 2.69% error)', setting, ordering(metric('DFC', 'testAccuracy'), metric('DFA', 'testAccuracy'), 'higher'), task));
      if (has('DLL') && has('BP')) out.push(claim('DLL Table 1', 'BP ahead of DLL on MNIST (98.62% vs 97.57%)', setting, ordering(metric('BP', 'testAccuracy'), metric('DLL', 'testAccuracy'), 'higher'), task));
    }
  }
  return out;
}
