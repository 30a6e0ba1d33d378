/**
 * SAL's claims (Liao et al., CBMM memo 152) against a run: Table 1 (MNIST column), Fig. 2 (width of
 * the downstream pathway), Fig. 3 (self-assembly: effective rank) and Fig. 4 (plasticity ablation).
 * Each verdict is computed by the rule the claim calls (src/io/claims.ts) from the run's per-seed
 * final test accuracies. Fig. 2 and Fig. 4 are on CIFAR-10 in the paper (Fig. 2 also SVHN, STL-10),
 * Fig. 3 on SVHN: the setting column says which data the run used.
 */
import { best, claim, closeTo, holds, nearValue, ordering, samples, trend, type Claim, type Samples } from '../../src/io/claims';
import type { RunRecord } from './experiments/task';

/** Final accuracy per seed (NaN for a diverged run) of the records with this key. */
function finals(records: readonly RunRecord[], key: string, seeds: readonly number[], name: string): Samples {
  return samples(
    name,
    seeds.map((s) => {
      const r = records.find((q) => q.key === key && q.seed === s);
      return r && r.status === 'ok' ? r.finalAccuracy : NaN;
    }),
    { scale: 100, unit: '%' },
  );
}

export interface SalSetting {
  data: string;
  sizes: readonly number[];
  epochs: number;
  seeds: readonly number[];
}

function settingText(s: SalSetting, paper: string): string {
  return `${s.data} (paper: ${paper}), ${s.sizes.join('-')}, ${s.epochs} epochs, ${s.seeds.length} seed${s.seeds.length === 1 ? '' : 's'}`;
}

/** sal-ablation, Fig. 4 (keys as in ablation.ts: 'W', 'W+Vbar', …, 'linear'). */
export function salAblationClaims(records: readonly RunRecord[], s: SalSetting): Claim[] {
  const setting = settingText(s, 'CIFAR-10, 5 runs');
  const label = (key: string) => records.find((r) => r.key === key)?.label ?? key;
  const f = (key: string) => finals(records, key, s.seeds, label(key));
  const keys = [...new Set(records.map((r) => r.key))].filter((k) => k !== 'linear');
  const out: Claim[] = [];
  const singles = ['W+Vbar', 'W+Wbar', 'W+V'].filter((k) => keys.includes(k));
  if (singles.length === 3) out.push(claim('Fig. 4', 'of one extra plastic connection, V̄ matters most (40% → ~46% on CIFAR-10)', setting, best(label('W+Vbar'), singles.map(f), 'higher')));
  const all = keys.find((k) => k.split('+').length === 4);
  if (all && keys.length > 1) out.push(claim('Fig. 4', 'all four plastic is best (to the SGD level)', setting, best(label(all), keys.map(f), 'higher')));
  if (keys.includes('W') && records.some((r) => r.key === 'linear')) out.push(claim('Fig. 4', 'only W plastic learns only as well as the linear model', setting, closeTo(f('W'), f('linear'), 1)));
  if (keys.includes('W+Vbar') && keys.includes('W')) out.push(claim('Fig. 4', 'V̄ plastic improves on W alone', setting, ordering(f('W+Vbar'), f('W'), 'higher')));
  return out;
}

/** sal-width, Fig. 2 (keys `${gate}-r${ratio}`). */
export function salWidthClaims(records: readonly RunRecord[], s: SalSetting & { ratios: readonly number[]; gates: readonly string[] }): Claim[] {
  const setting = settingText(s, 'CIFAR-10, SVHN, STL-10');
  const out: Claim[] = [];
  const ratios = [...s.ratios].sort((a, b) => a - b);
  for (const gate of s.gates) {
    const g = gate === 'identity' ? 'D_d = I' : 'D_d = ReLU′';
    const points = ratios.map((r) => finals(records, `${gate}-r${r}`, s.seeds, `d̄/d = ${r}`));
    const upTo = ratios.filter((r) => r <= 7.5);
    out.push(claim('Fig. 2', `wider downstream pathway improves accuracy up to d̄/d = 7.5`, setting, trend('final accuracy', upTo, points.slice(0, upTo.length), 'increasing', 0.1), g));
    // Best at a ratio of 5-8 (the paper: "parameter count … 5 to 8 times"): the argmax of the mean.
    const means = points.map((p) => p.values.reduce((a, v) => a + v, 0) / p.values.length);
    const finite = means.map((m, i) => [m, ratios[i]] as const).filter(([m]) => Number.isFinite(m));
    const top = finite.length ? finite.reduce((a, b) => (b[0] > a[0] ? b : a)) : null;
    out.push(
      claim(
        'Fig. 2',
        'best accuracy at a downstream/upstream ratio of 5-8',
        setting,
        holds(top === null ? null : top[1] >= 5 && top[1] <= 8, top === null ? 'no finite run' : `best mean at d̄/d = ${top[1]} (${(100 * top[0]).toFixed(2)}%)`, 'the ratio of the best mean final accuracy lies in [5, 8]'),
        g,
      ),
    );
  }
  return out;
}

/** sal-table, Table 1 (MNIST column; keys are the method names). */
export function salTableClaims(records: readonly RunRecord[], s: SalSetting): Claim[] {
  const setting = settingText(s, 'MNIST 60,000/10,000, 5 runs');
  const has = (m: string) => records.some((r) => r.key === m);
  const f = (m: string, name: string) => finals(records, m, s.seeds, name);
  const out: Claim[] = [];
  if (has('sal')) out.push(claim('Table 1, MNIST', 'SAL reaches 98.85 ± 0.10%', setting, nearValue(f('sal', 'SAL'), 98.85, 1)));
  if (has('sal') && has('sgd')) out.push(claim('Table 1, MNIST', 'SAL comparable to SGD (98.85% vs 98.44%)', setting, closeTo(f('sal', 'SAL'), f('sgd', 'SGD'), 0.5)));
  const rivals: [string, string, number][] = [
    ['fa', 'FA', 97.8],
    ['wm', 'WM', 98.4],
    ['kp', 'KP', 98.45],
  ];
  for (const [m, name, v] of rivals) if (has('sal') && has(m)) out.push(claim('Table 1, MNIST', `SAL ahead of ${name} (98.85% vs ${v}%)`, setting, ordering(f('sal', 'SAL'), f(m, name), 'higher')));
  return out;
}

/** sal-assembly, Fig. 3: H = V̄V̄ᵀ and WWᵀ become effectively low-rank (effective rank falls by more than 5% in every hidden layer). */
export function salAssemblyClaims(ranks: readonly { epoch: number; layer: number; erankH: number; erankWWt: number }[], s: SalSetting): Claim[] {
  const setting = settingText(s, 'SVHN, width 60, 8 hidden layers, 50 epochs');
  const last = Math.max(...ranks.map((r) => r.epoch));
  const layers = [...new Set(ranks.map((r) => r.layer))];
  const out: Claim[] = [];
  for (const [key, name] of [
    ['erankH', 'V̄V̄ᵀ'],
    ['erankWWt', 'WWᵀ'],
  ] as const) {
    const pairs = layers.map((k) => [ranks.find((r) => r.layer === k && r.epoch === 0)?.[key] ?? NaN, ranks.find((r) => r.layer === k && r.epoch === last)?.[key] ?? NaN] as const);
    const fell = pairs.filter(([a, b]) => b < 0.95 * a).length;
    const ok = pairs.every(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    out.push(
      claim('Fig. 3', `${name} becomes effectively low-rank during training`, setting, {
        verdict: !ok || last <= 0 ? 'not measured' : fell === layers.length ? 'reproduced' : fell > 0 ? 'partly' : 'not reproduced',
        measured: `effective rank before → after, per hidden layer: ${pairs.map(([a, b], i) => `L${layers[i]} ${a.toFixed(1)} → ${b.toFixed(1)}`).join(', ')}`,
        rule: 'effective rank after training < 0.95 × before in every hidden layer; partly: in some',
      }),
    );
  }
  return out;
}
