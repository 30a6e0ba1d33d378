/**
 * The dense f64 linear algebra every model's hot loops use: row-major `Mat` views over
 * Float64Array (mat.ts), the kernels that write into caller-provided outputs — matVec, matMul,
 * outer-product accumulate and friends, WebAssembly SIMD above a small size, a resident
 * workspace for loops of many small products (`WasmWorkspace` in kernels.ts, its TypeScript twin
 * `TsWorkspace` in workspace.ts) — and the ml-matrix decompositions
 * (eigenvalues, SVD, pseudo-inverse, solve, expm; decomp.ts), which are for set-up and checks,
 * not for inner loops. Which engine runs the products (a system OpenBLAS, wasm, TypeScript) is
 * chosen by `setBackend` (backend.ts).
 *
 * @module creditflow/linalg
 */
export * from './mat';
export * from './kernels';
export * from './workspace';
export * from './decomp';
export { setBackend, forceEngine, linalgInfo, backendSettings, applyBackendSettings, BACKENDS, type Backend, type Engine, type LinalgInfo, type BackendSettings } from './backend';
