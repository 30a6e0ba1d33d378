/** The built-in solvers, registered by name in the core's solver registry (src/core/solvers.ts). */
import { solvers } from '../src/core/solvers';
import { dopri5 } from './dopri5';
import { euler } from './euler';
import { eulerMaruyama } from './euler_maruyama';
import { heun } from './heun';
import { odex } from './odex';
import { rk4 } from './rk4';
import { stochasticHeun } from './stochastic_heun';

for (const s of [euler, eulerMaruyama, heun, stochasticHeun, rk4, dopri5, odex]) if (!solvers.has(s.name)) solvers.register(s.name, s);

export { solvers };
export { dopri5, euler, eulerMaruyama, heun, odex, rk4, stochasticHeun };
export { explicitRK, checkTableau, type ButcherTableau } from './tableau';
