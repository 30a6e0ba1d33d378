/**
 * The WebAssembly SIMD module of the dense kernels (source wasm/gemm.as.ts, bytes in the generated
 * gemm-bytes.ts), compiled synchronously on first use: one shared instance for the general
 * kernels (kernels.ts copies operands into its memory) and private instances for WasmWorkspace.
 */
import { GEMM_WASM_BASE64 } from './gemm-bytes';

// Minimal structural types for the WebAssembly global (the project's lib setting has no DOM types).
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

export interface WasmGemm {
  memory: WasmMemory;
  gemm: (
    m: number, n: number, k: number,
    a: number, sai: number, sap: number,
    b: number, sbp: number, sbj: number,
    c: number, alpha: number, beta: number,
    work: number,
  ) => void;
  gemv: (m: number, n: number, a: number, x: number, y: number, alpha: number, beta: number) => void;
  gemvT: (m: number, n: number, a: number, x: number, y: number, alpha: number, beta: number) => void;
}

/** The resident-operand exports (see WasmWorkspace). */
export interface WasmResident extends WasmGemm {
  mulRows: (m: number, n: number, k: number, a: number, lda: number, bt: number, ldb: number, c: number, ldc: number, acc: number) => void;
  tanhArray: (src: number, dst: number, n: number, tab: number) => void;
  scaleArray: (x: number, n: number, alpha: number) => void;
  rateStep: (
    m: number, n: number,
    v: number, vff: number, phiff: number, inp: number, ldi: number,
    rin: number, r: number, c: number, act: number, mode: number, d: number, noise: number, tab: number,
  ) => number;
  piStep: (n: number, u0: number, u1: number, e: number, out: number, target: number, r: number, c: number, alpha: number, kp: number, watch: number, peak: number) => number;
}

let wasm: WasmGemm | null | undefined;
let wasmModule: object | null = null;

export function wasmApi(): WasmApi {
  const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (WA === undefined) throw new Error('no WebAssembly');
  return WA;
}

/** The shared instance, or null when this runtime has no WebAssembly SIMD. */
export function loadWasm(): WasmGemm | null {
  if (wasm !== undefined) return wasm;
  try {
    const bin = atob(GEMM_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const WA = wasmApi();
    wasmModule = new WA.Module(bytes);
    const inst = new WA.Instance(wasmModule, {});
    const ex = inst.exports as unknown as WasmGemm;
    wasm = { memory: ex.memory, gemm: ex.gemm, gemv: ex.gemv, gemvT: ex.gemvT };
  } catch {
    wasm = null;
  }
  return wasm;
}

export function wasmAvailable(): boolean {
  return loadWasm() !== null;
}

/** The compiled module (null before loadWasm or without WebAssembly), for private instances. */
export function compiledWasm(): object | null {
  loadWasm();
  return wasmModule;
}
