/**
 * Which engine runs the dense products of src/linalg/kernels.ts: the backend choice.
 *
 *   'auto'  BLAS when a system OpenBLAS is found (src/linalg/blas.ts), per call: products below a
 *           measured size stay on wasm, where the FFI call and BLAS's own set-up cost more than
 *           they save; wasm for everything when no BLAS is found. The default.
 *   'blas'  every matrix-matrix, matrix-vector and rank-1 product through the BLAS (an error when
 *           none is found); what BLAS has no routine for (WasmWorkspace's unpacked small products,
 *           tanh, fused rate steps) stays on wasm.
 *   'wasm'  the WebAssembly SIMD kernels (plain TypeScript loops for the tiniest products).
 *   'ts'    TypeScript loops only: no wasm, no BLAS (WasmWorkspace.create() returns null, so the
 *           models' resident loops run on its TypeScript twin, TsWorkspace in workspace.ts).
 *
 * Library users call `setBackend`; every command takes `--backend` (src/experiment/options.ts); worker
 * threads of src/parallel/pool.ts are given the parent's `backendSettings()` so they use the same
 * backend and the same library. A run's manifest records `linalgInfo()`.
 *
 * Results: the same backend, the same number of BLAS threads and the same seed give the same bits
 * (in worker threads too). Different backends agree within rounding (the order of the sums
 * differs), and so do different BLAS thread counts: OpenBLAS blocks a large product differently
 * when it splits it over threads (measured: the last bit of a test loss changes with 2 threads).
 *
 * Thresholds (multiply-adds m·n·k, or entries m·n of a matrix-vector product) where 'auto' moves
 * from wasm to BLAS: measured by `npx tsx bench/kernels.ts` (the "auto crossover" rows) on the
 * development machine (AMD EPYC, one core, OpenBLAS 0.3.21); see the constants below.
 */
import { BLAS_ENV, BLAS_INSTALL_HINT, BLAS_SEARCH_ENV, findBlas, requestedThreads, type Blas } from './blas';
import { loadWasm } from './wasm/module';

export type Backend = 'auto' | 'blas' | 'wasm' | 'ts';
export const BACKENDS: readonly Backend[] = ['auto', 'blas', 'wasm', 'ts'];

/**
 * An engine forced for every product regardless of size, for tests and benchmarks: 'blas',
 * 'wasm', 'ts-packed' (the packed 4x4 TypeScript product; TypeScript matrix-vector) or
 * 'ts-direct' (plain TypeScript loops everywhere). null: follow the backend.
 */
export type Engine = 'blas' | 'wasm' | 'ts-packed' | 'ts-direct';

/** Below this many multiply-adds (m·n·k) the general products use the direct TypeScript loops (wasm and ts backends). */
export const DIRECT_MAX_FLOPS = 128;
/** Matrix-vector products go to wasm from this many entries of A (wasm backend). */
export const MATVEC_WASM_MIN = 400;
/** 'auto': general matrix-matrix products (operands copied into wasm otherwise) go to BLAS from this many multiply-adds. */
export const BLAS_MIN_GEMM = 1024;
/** 'auto': products on WasmWorkspace-resident operands (nothing copied on the wasm side) go to BLAS from this many multiply-adds. */
export const BLAS_MIN_RESIDENT = 8192;
/** 'auto': matrix-vector products go to BLAS from this many entries of A. */
export const BLAS_MIN_GEMV = 1024;
/** 'auto': rank-1 updates (outerAcc) go to BLAS from this many entries of A. */
export const BLAS_MIN_GER = 256;

interface State {
  backend: Backend;
  forced: Engine | null;
  /** undefined: not looked for yet; null: none (reason says why). */
  blas: Blas | null | undefined;
  reason: string;
  /** An explicit library (setBackend's `library`), else CREDITFLOW_BLAS / the search. */
  library: string | null;
  /** What `blas` was resolved from (the library, CREDITFLOW_BLAS, or '' for the search). */
  resolvedFrom: string;
  threads: number | undefined;
  /** Products run on BLAS so far (tests and benchmarks check that it is used). */
  blasCalls: number;
}

const state: State = { backend: 'auto', forced: null, blas: undefined, reason: '', library: null, resolvedFrom: '', threads: undefined, blasCalls: 0 };

function resolveBlas(): Blas | null {
  const from = state.library ?? (process.env[BLAS_ENV] || `search ${process.env[BLAS_SEARCH_ENV] ?? ''}`);
  if (state.blas !== undefined && from !== state.resolvedFrom) state.blas = undefined;
  if (state.blas === undefined) {
    state.resolvedFrom = from;
    const r = findBlas({ file: state.library, threads: state.threads });
    state.blas = r.blas;
    state.reason = r.reason;
  }
  return state.blas;
}

/**
 * Chooses the backend for this process (and the worker threads it starts afterwards). `library`:
 * the CBLAS to load instead of CREDITFLOW_BLAS or the search; `threads`: BLAS threads (default 1,
 * or CREDITFLOW_BLAS_THREADS). Throws a one-line error, before any work, for an unknown backend,
 * 'blas' with no BLAS found, or a library path (option or CREDITFLOW_BLAS) that does not exist or
 * is not a CBLAS.
 */
export function setBackend(backend: Backend, opts: { library?: string | null; threads?: number } = {}): void {
  if (!BACKENDS.includes(backend)) throw new Error(`backend must be one of ${BACKENDS.join(', ')} (got '${String(backend)}')`);
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
    throw new Error(`BLAS threads must be an integer >= 1 (got ${opts.threads})`);
  }
  if (backend === 'wasm' && loadWasm() === null) throw new Error("backend 'wasm': this runtime has no WebAssembly SIMD; use 'ts' (or 'blas')");
  const library = opts.library ?? null;
  state.library = library;
  if (opts.threads !== undefined && opts.threads !== state.threads) {
    state.threads = opts.threads;
    state.blas?.setThreads(opts.threads);
  }
  state.backend = backend;
  // resolve now what can fail: an explicit library, CREDITFLOW_BLAS, or 'blas' itself
  if (backend === 'blas' || library !== null || (backend === 'auto' && process.env[BLAS_ENV])) {
    let blas: Blas | null;
    try {
      blas = resolveBlas();
    } catch (e) {
      state.backend = 'auto';
      state.library = null;
      throw e;
    }
    if (blas === null && backend === 'blas') {
      state.backend = 'auto';
      throw new Error(`backend 'blas': ${state.reason}; ${BLAS_INSTALL_HINT} (or use the 'auto' backend, which falls back to wasm)`);
    }
  }
}

/** Products run on BLAS since the process started. */
export function blasCallCount(): number {
  return state.blasCalls;
}

export function getBackend(): Backend {
  return state.backend;
}

/** Forces one engine for every product (tests, benchmarks); null returns to the backend's choice. */
export function forceEngine(engine: Engine | null): void {
  if (engine === 'blas' && resolveBlas() === null) throw new Error(`forceEngine('blas'): ${state.reason}; ${BLAS_INSTALL_HINT}`);
  if (engine === 'wasm' && loadWasm() === null) throw new Error("forceEngine('wasm'): this runtime has no WebAssembly SIMD");
  state.forced = engine;
}

export function forcedEngine(): Engine | null {
  return state.forced;
}

/** The BLAS, loading it on first call (null when none is found). Throws only for an explicit library that is unusable. */
export function blasLibrary(): Blas | null {
  return resolveBlas();
}

/** True when a BLAS is loaded or can be (loads it). */
export function blasAvailable(): boolean {
  return resolveBlas() !== null;
}

/** The BLAS to use for a product of `size` (m·n·k or m·n) with 'auto' threshold `min`, or null for the other engines. */
export function blasFor(size: number, min: number): Blas | null {
  const f = state.forced;
  let blas: Blas | null;
  if (f !== null) blas = f === 'blas' ? (state.blas as Blas) : null;
  else if (state.backend === 'blas') blas = state.blas as Blas;
  else if (state.backend !== 'auto' || size < min) blas = null;
  else blas = state.blas === undefined ? resolveBlas() : state.blas;
  if (blas !== null) state.blasCalls++;
  return blas;
}

/** The non-BLAS engine for a general matrix-matrix product of m·n·k multiply-adds. */
export function gemmEngine(flops: number): 'wasm' | 'ts-packed' | 'ts-direct' {
  const f = state.forced;
  if (f !== null && f !== 'blas') return f;
  if (flops <= DIRECT_MAX_FLOPS) return 'ts-direct';
  return state.backend === 'ts' || loadWasm() === null ? 'ts-packed' : 'wasm';
}

/** Whether a matrix-vector product with m·n entries runs in wasm (else TypeScript), when not on BLAS. */
export function gemvInWasm(entries: number): boolean {
  const f = state.forced;
  if (f !== null) return f === 'wasm';
  if (state.backend === 'ts') return false;
  return entries >= MATVEC_WASM_MIN && loadWasm() !== null;
}

/** Whether wasm may be used at all (false with the 'ts' backend or without WebAssembly SIMD). */
export function wasmAllowed(): boolean {
  return state.backend !== 'ts' && loadWasm() !== null;
}

/** What a worker thread needs to use the same backend and library (structured-clonable). */
export interface BackendSettings {
  backend: Backend;
  library: string | null;
  threads: number;
}

/** This process's settings, for worker threads (resolves the BLAS first under 'auto', so workers load the same file). */
export function backendSettings(): BackendSettings {
  const uses = state.backend === 'auto' || state.backend === 'blas';
  const blas = uses ? resolveBlas() : null;
  return { backend: state.backend, library: blas?.library ?? state.library, threads: state.threads ?? requestedThreads() };
}

/** Applies settings from backendSettings() (in a worker thread). */
export function applyBackendSettings(s: BackendSettings): void {
  setBackend(s.backend, { library: s.library, threads: s.threads });
}

/** The backend, for a run's manifest: name, the library loaded (path and the file it resolves to), threads, thresholds. */
export interface LinalgInfo {
  backend: Backend;
  blas: { library: string; realPath: string; config: string | null; core: string | null; threads: number | null } | null;
  /** Why there is no BLAS (under 'auto'), or why it is not used ('wasm', 'ts'). */
  note: string;
  thresholds: { gemm: number; resident: number; gemv: number; ger: number };
}

export function linalgInfo(): LinalgInfo {
  const uses = state.backend === 'auto' || state.backend === 'blas';
  const blas = uses ? resolveBlas() : null;
  const note = !uses ? `backend '${state.backend}' does not use a BLAS` : blas === null ? state.reason : '';
  return {
    backend: state.backend,
    blas: blas === null ? null : { library: blas.library, realPath: blas.realPath, config: blas.config, core: blas.core, threads: blas.threads },
    note,
    thresholds: { gemm: BLAS_MIN_GEMM, resident: BLAS_MIN_RESIDENT, gemv: BLAS_MIN_GEMV, ger: BLAS_MIN_GER },
  };
}
