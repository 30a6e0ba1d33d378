/**
 * Settings of the DFC dynamics, checked once with messages that say what to change.
 *
 * Units: time is measured in units of τ_u unless τ_u is given; the paper's experiments state the
 * ratio τ_v/τ_u ("time-constant ratio") and the Euler step dt.
 */

/** Network (eq. 1) + PI controller (eq. 4) + output target (eq. 3): the forward ("wake") phase. */
export interface ControllerConfig {
  /** τ_v, time constant of every layer's activation v_i (eq. 1). */
  tauV: number;
  /** τ_u, time constant of the integral part of the controller (eq. 4). */
  tauU: number;
  /** k_p ≥ 0, proportional control gain (K_P = k_p I). */
  kp: number;
  /** α ≥ 0, leak of the integral controller. */
  alpha: number;
  /** λ > 0, target step size of eq. (3). */
  lambda: number;
  /** Euler(-Maruyama) step. */
  dt: number;
  /** Number of Euler steps per sample (settling time = steps·dt). */
  steps: number;
  /** Noise σ on the layers during the forward phase (eq. 12; 0 = deterministic). */
  sigma?: number;
}

/** The feedback ("sleep") phase: eqs. (12)-(13) with r* = r_L⁻. */
export interface FeedbackConfig {
  tauV: number;
  tauU: number;
  kp: number;
  alpha: number;
  /** τ_fb, time constant of the feedback (apical) compartment v_i^fb (see terms.ts). */
  tauFb: number;
  dt: number;
  steps: number;
  /** σ_fb, amplitude of the white noise entering the feedback compartment. */
  sigma: number;
  /** Weight decay β of eq. (13), in the σ²-normalised units of the buffered update (see rules.ts). */
  beta: number;
}

/** Fig. 3 settings of the paper's code (issue 4): forward phase. */
export const FIG3_FORWARD: ControllerConfig = { tauU: 1, tauV: 0.2, kp: 1.5, alpha: 0.0015, lambda: 0.05, dt: 0.005, steps: 1000 };

/** Fig. 3 settings of the paper's code (issue 4): feedback phase. τ_fb = 0.05 (half the 0.1 τ_u window) is our choice: it learned Condition 2 best of 0.01-0.05. */
export const FIG3_FEEDBACK: FeedbackConfig = { tauU: 1, tauV: 0.01, tauFb: 0.05, kp: 0.1, alpha: 0.25, dt: 0.002, steps: 50, sigma: 0.01, beta: 0.025 };

/** α̃ = α / (1 + α k_p) of Lemma 1. */
export function alphaTilde(alpha: number, kp: number): number {
  return alpha / (1 + alpha * kp);
}

function positive(name: string, v: number, hint: string): void {
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new Error(`${name} must be a finite number > 0 (got ${v}); ${hint}`);
}
function nonNegative(name: string, v: number, hint: string): void {
  if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new Error(`${name} must be a finite number >= 0 (got ${v}); ${hint}`);
}
function stepsOk(v: number): void {
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`steps must be an integer >= 1 (got ${v}); it is the number of Euler steps per sample`);
}
function eulerStable(dt: number, tau: number, what: string): void {
  if (dt > 2 * tau) {
    throw new Error(`dt = ${dt} is more than twice ${what} = ${tau}: forward Euler is unstable for that block; use dt <= ${tau}`);
  }
}

export function checkControllerConfig(c: ControllerConfig): ControllerConfig {
  positive('tau_v (tauV)', c.tauV, 'the network time constant of eq. (1)');
  positive('tau_u (tauU)', c.tauU, 'the controller time constant of eq. (4)');
  nonNegative('k_p (kp)', c.kp, 'the proportional gain of the PI controller is k_p >= 0 (eq. 4)');
  nonNegative('alpha', c.alpha, 'the controller leak of eq. (4)');
  positive('lambda', c.lambda, 'the target step size of eq. (3)');
  positive('dt', c.dt, 'the Euler step');
  stepsOk(c.steps);
  if (c.sigma !== undefined) nonNegative('sigma', c.sigma, 'the noise amplitude of eq. (12)');
  eulerStable(c.dt, c.tauV, 'tau_v');
  return c;
}

export function checkFeedbackConfig(c: FeedbackConfig): FeedbackConfig {
  positive('tau_v (tauV)', c.tauV, 'the network time constant of eq. (12)');
  positive('tau_u (tauU)', c.tauU, 'the controller time constant of eq. (4)');
  positive('tau_fb (tauFb)', c.tauFb, 'the feedback-compartment time constant');
  nonNegative('k_p (kp)', c.kp, 'the proportional gain of the PI controller is k_p >= 0 (eq. 4)');
  nonNegative('alpha', c.alpha, 'the controller leak of eq. (4)');
  positive('dt', c.dt, 'the Euler-Maruyama step');
  stepsOk(c.steps);
  positive('sigma', c.sigma, 'feedback learning (eq. 13) needs noise in the feedback compartment');
  nonNegative('beta', c.beta, 'the weight decay of eq. (13)');
  eulerStable(c.dt, c.tauV, 'tau_v');
  eulerStable(c.dt, c.tauFb, 'tau_fb');
  return c;
}
