/**
 * The learning rules of the comparison: where each one's update comes from, which network it runs
 * on, and which of the DLL paper's biological-plausibility criteria it meets (Lv et al., ICML 2025,
 * Section 2.1):
 *
 *   C1  asymmetric forward and backward weights (no weight transport);
 *   C2  local error representation (a neuron's error is computed in the neuron from locally
 *       available signals, not delivered as a global error vector through a separate pathway);
 *   C3  no separate phases (inference and learning run at the same time).
 *
 * The DLL paper's Table 1 classifies BP (✗✗✗), feedback alignment (✓✗✗), perturbation learning
 * (✓✓✗) and DLL (✓✓✓); the other rows are our reading of the same definitions, with the reason
 * written next to each mark (`why`).
 */
export const RULE_NAMES = ['BP', 'FA', 'DFA', 'URFB', 'DFC-SSA', 'DFC', 'DLL', 'NP', 'LOCO', 'BP-ReLU', 'KP', 'WM', 'SAL'] as const;
export type RuleName = (typeof RULE_NAMES)[number];

/** Hidden nonlinearity of the network a rule trains. */
export type Family = 'tanh' | 'relu';

export interface RuleInfo {
  name: RuleName;
  label: string;
  family: Family;
  /** The model code the update comes from (and the adapter in this folder). */
  source: string;
  c1: boolean;
  c2: boolean;
  c3: boolean;
  why: string;
}

export const RULES: Record<RuleName, RuleInfo> = {
  BP: {
    name: 'BP', label: 'backprop', family: 'tanh', source: 'src/nn/mlp.ts Mlp.backward',
    c1: false, c2: false, c3: false,
    why: 'C1 ✗ errors travel back through Wᵀ; C2 ✗ the error is the global backpropagated gradient; C3 ✗ forward pass, then backward pass (DLL Table 1)',
  },
  FA: {
    name: 'FA', label: 'feedback alignment', family: 'tanh', source: 'models/dll/mlp.ts closedForm + weightRates with Θ fixed (= DLL-FA at equilibrium)',
    c1: true, c2: false, c3: false,
    why: 'C1 ✓ fixed random feedback B; C2 ✗ the output error is sent back through B; C3 ✗ forward then backward sweep (DLL Table 1)',
  },
  DFA: {
    name: 'DFA', label: 'direct feedback alignment', family: 'tanh', source: "models/dfc/rules.ts forwardUpdate('DFA')",
    c1: true, c2: false, c3: false,
    why: 'C1 ✓ fixed random B_i; C2 ✗ the global output error is broadcast to every layer; C3 ✗ forward pass, then the broadcast',
  },
  URFB: {
    name: 'URFB', label: 'updated random feedback', family: 'tanh', source: "models/dll/mlp.ts feedback sweep + URFB's R update (Amit, models/urfb/nonlinear.ts) in compare/learners.ts",
    c1: true, c2: false, c3: false,
    why: 'C1 ✓ separate feedback R, learned by a Hebbian rule; C2 ✗ the output error is sent back through R; C3 ✗ forward then backward sweep',
  },
  'DFC-SSA': {
    name: 'DFC-SSA', label: 'DFC, steady-state (analytical)', family: 'tanh', source: "models/dfc/rules.ts forwardUpdate('DFC-SSA'), feedback trained by DfcTrainer.feedbackEpoch",
    c1: true, c2: true, c3: false,
    why: 'C1 ✓ feedback Q learned, not Wᵀ; C2 ✓ each neuron learns from φ(v) − φ(W r), its own somatic vs basal signal; C3 ✗ Q learns in a separate sleep phase (and the steady state is solved, not simulated)',
  },
  DFC: {
    name: 'DFC', label: 'deep feedback control (simulated)', family: 'tanh', source: "models/dfc/rules.ts forwardUpdate('DFC') on DfcEngine, feedback trained by DfcTrainer.feedbackEpoch",
    c1: true, c2: true, c3: false,
    why: 'C1 ✓ learned feedback Q; C2 ✓ local somatic-minus-basal error; C3 ✗ wake (forward learning) and sleep (feedback learning) phases alternate',
  },
  DLL: {
    name: 'DLL', label: 'dendritic localized learning', family: 'tanh', source: 'models/dll/trainer.ts DllTrainer (apical relaxation by solve, W and Θ updates)',
    c1: true, c2: true, c3: true,
    why: 'C1 ✓ learned Θ; C2 ✓ ξ = x − u in each soma; C3 ✓ W and Θ learn while the apical compartments settle (DLL Table 1)',
  },
  NP: {
    name: 'NP', label: 'node perturbation', family: 'tanh', source: 'models/loco/rules.ts PerturbationLearner.estimate (NP), on a tanh network (compare/perturbation.ts)',
    c1: true, c2: true, c3: false,
    why: 'C1 ✓ no feedback weights; C2 ✓ a scalar reward-like TD and local noise; C3 ✗ clean and perturbed passes (DLL Table 1: perturbation learning)',
  },
  LOCO: {
    name: 'LOCO', label: 'LOCO (projected NP)', family: 'tanh', source: 'models/loco/rules.ts PerturbationLearner.estimate (LOCO projector), on a tanh network',
    c1: true, c2: true, c3: false,
    why: 'as NP (C3 ✗: clean and perturbed passes); the projection uses only the layer’s own inputs',
  },
  'BP-ReLU': {
    name: 'BP-ReLU', label: 'backprop, ReLU network', family: 'relu', source: "models/sal/presets.ts methodConfig('sgd') (V = V̄ = I, W̄ = Wᵀ)",
    c1: false, c2: false, c3: false,
    why: 'the BP reference of the ReLU rows (same marks as BP)',
  },
  KP: {
    name: 'KP', label: 'Kolen–Pollack', family: 'relu', source: "models/sal/presets.ts methodConfig('kp') on SalCircuit",
    c1: true, c2: false, c3: false,
    why: 'C1 ✓ W̄ separate, aligned by equal Hebbian increments and decay; C2 ✗ the error travels back through W̄; C3 ✗ forward then backward sweep',
  },
  WM: {
    name: 'WM', label: 'weight mirror', family: 'relu', source: "models/sal/presets.ts methodConfig('wm') on SalCircuit",
    c1: true, c2: false, c3: false,
    why: 'C1 ✓ W̄ separate, learned from noise; C2 ✗ the error travels back through W̄; C3 ✗ needs a mirror mode besides the engaged mode',
  },
  SAL: {
    name: 'SAL', label: 'self-assembling learning circuit', family: 'relu', source: "models/sal/presets.ts methodConfig('sal') on SalCircuit",
    c1: true, c2: false, c3: false,
    why: 'C1 ✓ four separate plastic synapses; C2 ✗ errors are carried by a downstream population, not computed in the neuron; C3 ✗ the upstream pass, then the downstream pass (eqs. 1-2, sequential)',
  },
};

export function checkRules(names: readonly string[]): RuleName[] {
  for (const n of names) {
    if (!(RULE_NAMES as readonly string[]).includes(n)) throw new Error(`unknown rule '${n}'; valid rules: ${RULE_NAMES.join(', ')}`);
  }
  return names as RuleName[];
}

export function mark(v: boolean): string {
  return v ? '✓' : '✗';
}
