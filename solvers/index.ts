/** The solver registry: every solver by name. */
import { Registry } from '../src/core/registry';
import type { Solver } from '../src/core/solver';
import { dopri5 } from './dopri5';
import { euler } from './euler';
import { eulerMaruyama } from './euler_maruyama';
import { heun } from './heun';
import { odex } from './odex';
import { rk4 } from './rk4';
import { stochasticHeun } from './stochastic_heun';

export const solvers = new Registry<Solver>('solver');
for (const s of [euler, eulerMaruyama, heun, stochasticHeun, rk4, dopri5, odex]) solvers.register(s.name, s);

export { dopri5, euler, eulerMaruyama, heun, odex, rk4, stochasticHeun };
export { explicitRK, checkTableau, type ButcherTableau } from './tableau';
