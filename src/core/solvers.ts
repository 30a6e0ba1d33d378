/**
 * The solver registry lives in the core; solvers/index.ts registers the built-in solvers into it
 * (import it, or the package entry point, before asking `solve` for a solver by name). The core
 * never imports solvers/: a solver is handed to `solve` as an object or found here by name.
 */
import { Registry } from './registry';
import type { Solver } from './solver';

export const solvers = new Registry<Solver>('solver');
