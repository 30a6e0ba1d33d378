/**
 * The LIF/LOCO paths pinned by pinned-core.test.ts, at reduced sizes: every clock-driven variant
 * (synapse engines, noise, refractoriness, subtract reset, decay_input off, perturbation), the
 * event-located run, both checks, and the LOCO trainings that run the spiking network.
 */
import { agreementNetwork, measureClockEventAgreement, measureLifRate } from '../../models/lif/checks';
import { codingDrive, initSnn, simulateClock, simulateEvents, snnSpec } from '../../models/lif/network';
import { lifParams } from '../../models/lif/params';
import { mnistData } from '../../models/loco/experiments/common';
import { trainContinual } from '../../models/loco/experiments/continual';
import { trainMnist } from '../../models/loco/experiments/mnist';
import { trainXor } from '../../models/loco/experiments/xor';
import { Rng } from '../../src/core/random';

const arr = (a: ArrayLike<number>) => Array.from(a);
const flat = (r: number[][][]) => r.flat(2);

export function lifCases(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  {
    const spec = snnSpec({ sizes: [5, 6, 3], steps: 30, noise: 0.2 });
    const params = initSnn(spec, new Rng(4), 3, 0.5);
    const x = new Rng(8).fillUniform(new Float64Array(10));
    // the clean and the perturbed run share the batch's coding layer and noise seed (prepareClock/runClock before the move)
    const input = { noiseSeed: 9, codingDrive: codingDrive() };
    const xi = [new Rng(2).fillNormal(new Float64Array(12)), new Rng(3).fillNormal(new Float64Array(6))];
    out['noise clean'] = simulateClock(spec, params, x, 2, null, input).counts.flatMap(arr);
    out['noise perturbed'] = simulateClock(spec, params, x, 2, { sigma: 0.3, xi }, input).counts.flatMap(arr);
  }
  for (const synapse of ['sparse', 'dense', 'auto'] as const) {
    const spec = snnSpec({ sizes: [50, 40, 30, 5], steps: 25, synapse, inputGain: 4 });
    const x = new Rng(6).fillUniform(new Float64Array(200));
    out[`synapse ${synapse}`] = simulateClock(spec, initSnn(spec, new Rng(5), 4, 0.5), x, 4).counts.flatMap(arr);
  }
  {
    const lif = lifParams({ tauM: 5, tRef: 1, reset: 'subtract' });
    const spec = snnSpec({ sizes: [3, 6, 2], lif, dt: 0.25, steps: 80, inputGain: 1.5, decayInput: false });
    const params = initSnn(spec, new Rng(7), 2, 0.3);
    out['refractory subtract raster'] = flat(simulateClock(spec, params, Float64Array.of(1.5, 2, 3), 1, null, { record: true }).raster!);
  }
  {
    const { spec, params, x, duration } = agreementNetwork();
    const dt = 2 ** -7;
    out['agreement clock raster'] = flat(simulateClock(snnSpec({ ...spec, dt, steps: Math.round(duration / dt) }), params, x, 1, null, { record: true }).raster!);
    out['agreement event raster'] = flat(simulateEvents(spec, params, x, { record: true, duration, dt0: 0.01 }).raster!);
    out['agreement event dopri5 raster'] = flat(simulateEvents(spec, params, x, { record: true, duration, solver: 'dopri5', rtol: 1e-10, atol: 1e-12 }).raster!);
    const pert = { sigma: 0.5, xi: [Float64Array.of(1, -1, 0.5, 0, 2, -0.5), Float64Array.of(0.3, -2)] };
    out['agreement event perturbed raster'] = flat(simulateEvents(spec, params, x, { record: true, duration, dt0: 0.01, pert }).raster!);
  }
  {
    const r = measureLifRate(true);
    out['check lif.rate'] = r.rows.flatMap((q) => [q.event, q.clock]);
    const a = measureClockEventAgreement(true);
    out['check lif.clock-event'] = [...a.errors, ...a.mismatches, a.slope, a.spikes];
  }
  return out;
}

export function locoCases(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const rule of ['np', 'loco'] as const) {
    const r = trainXor({ rule, seed: 2, epochs: 3, batch: 4 });
    out[`xor ${rule}`] = [...r.after.output, ...r.history.map((h) => h.loss).slice(1), ...r.after.hidden.flat()];
  }
  const data = mnistData(200);
  for (const rule of ['np', 'loco'] as const) {
    const r = trainMnist({ net: 'snn', rule, depth: 4, hidden: 12, epochs: 1, batch: 25, eta: 1, sigma: 0.3, k: 4, clusters: 3, buffer: 10, steps: 4, noise: 0.3, trainSize: 200, seed: 5 }, data);
    out[`mnist snn ${rule}`] = [...r.accuracy, ...r.trainLoss];
    const c = trainContinual({ net: 'snn', rule, hidden: 10, epochsPerClass: 1, batch: 20, eta: 1, sigma: 0.3, k: 4, clusters: 3, buffer: 10, steps: 4, noise: 0, seed: 3, order: [3, 7, 1] }, data);
    out[`continual snn ${rule}`] = [...c.seenAccuracy, ...c.perClass.flat()];
  }
  return out;
}

if (process.argv[2] === 'print') {
  const all = { ...lifCases(), ...locoCases() };
  for (const [k, v] of Object.entries(all)) console.log(`  ${JSON.stringify(k)}: [${v.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join(', ')}],`);
}
