/**
 * A system CBLAS (OpenBLAS) loaded through koffi, an FFI package that ships prebuilt binaries for
 * Node 20 (nothing is compiled at install time; without koffi or without a BLAS, `findBlas` says so
 * and the kernels stay on wasm).
 *
 * Which library: the path in `CREDITFLOW_BLAS` when set (any CBLAS: OpenBLAS, BLIS, MKL's
 * libmkl_rt, Accelerate; a path that does not exist or lacks `cblas_dgemm` is an error, never a
 * silent fallback), otherwise the first OpenBLAS found in the system's library directories
 * (Debian's `libopenblas0-pthread` / `libopenblas0-openmp` / `libopenblas0-serial`, Homebrew's
 * openblas) or, on macOS, Accelerate. A generic `libblas.so.3` is taken only when it is OpenBLAS
 * (Debian's reference BLAS is slower than the wasm kernels).
 *
 * Threads: one BLAS thread per process unless `CREDITFLOW_BLAS_THREADS` (or setBackend's
 * `threads`) asks for more: the worker pool already runs independent runs on every core. During
 * the load, `OPENBLAS_NUM_THREADS` is set to that number when the environment does not set it (so
 * OpenBLAS does not start a thread per core; removed again afterwards), and
 * `openblas_set_num_threads` is called after (OpenBLAS grows its pool when asked for more later).
 * `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE` are left as the environment sets them: on some
 * processors older OpenBLAS builds compute wrong results without them, and only the user knows.
 *
 * The bound functions take Float64Array views (koffi passes a pointer to the view's first element,
 * no copy), row-major, CBLAS enum values as ints, 32-bit integer sizes (the LP64 interface every
 * distribution's OpenBLAS exports as `cblas_*`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** CBLAS enum values (cblas.h). */
export const CblasRowMajor = 101;
export const CblasNoTrans = 111;
export const CblasTrans = 112;

/** A loaded CBLAS and its row-major double-precision routines. */
export interface Blas {
  /** The path it was loaded from (as found or given) and the file it resolves to. */
  readonly library: string;
  readonly realPath: string;
  /** OpenBLAS's build configuration and the core it picked (null for other libraries). */
  readonly config: string | null;
  readonly core: string | null;
  /** BLAS threads in effect (null when the library has no call to set them). */
  threads: number | null;
  /** C = alpha op(A) op(B) + beta C */
  dgemm(order: number, transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: Float64Array, lda: number, b: Float64Array, ldb: number, beta: number, c: Float64Array, ldc: number): void;
  /** y = alpha op(A) x + beta y */
  dgemv(order: number, trans: number, m: number, n: number, alpha: number, a: Float64Array, lda: number, x: Float64Array, incx: number, beta: number, y: Float64Array, incy: number): void;
  /** A += alpha x yᵀ */
  dger(order: number, m: number, n: number, alpha: number, x: Float64Array, incx: number, y: Float64Array, incy: number, a: Float64Array, lda: number): void;
  /** Sets the BLAS threads (no-op without openblas_set_num_threads). */
  setThreads(n: number): void;
}

/** The environment variable naming a CBLAS library to load instead of searching. */
export const BLAS_ENV = 'CREDITFLOW_BLAS';
/** The environment variable asking for more than one BLAS thread. */
export const BLAS_THREADS_ENV = 'CREDITFLOW_BLAS_THREADS';

/** What to install when no BLAS is found (one line, for error messages). */
export const BLAS_INSTALL_HINT = `install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-pthread; macOS: brew install openblas) or set ${BLAS_ENV} to the path of a CBLAS library such as libopenblas.so.0`;

type Koffi = typeof import('koffi');

let koffiModule: Koffi | null | undefined;
let koffiError = '';

function koffi(): Koffi | null {
  if (koffiModule === undefined) {
    try {
      koffiModule = require('koffi') as Koffi;
    } catch (e) {
      koffiModule = null;
      koffiError = e instanceof Error ? e.message.split('\n')[0] : String(e);
    }
  }
  return koffiModule;
}

/** Directories (path-delimited) to search instead of the system's: for unusual installs, and for tests of "none found". */
export const BLAS_SEARCH_ENV = 'CREDITFLOW_BLAS_SEARCH';

/** Library directories to search, in order: CREDITFLOW_BLAS_SEARCH alone when set, else LD_LIBRARY_PATH / DYLD_LIBRARY_PATH, then the system's. */
export function blasSearchDirs(): string[] {
  const only = process.env[BLAS_SEARCH_ENV];
  if (only !== undefined && only !== '') return only.split(path.delimiter).filter((d) => d !== '');
  const env = (process.platform === 'darwin' ? process.env.DYLD_LIBRARY_PATH : process.env.LD_LIBRARY_PATH) ?? '';
  const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', ppc64: 'powerpc64le-linux-gnu', riscv64: 'riscv64-linux-gnu', loong64: 'loongarch64-linux-gnu' }[process.arch as string];
  const lib = triplet ? [`/usr/lib/${triplet}`, `/lib/${triplet}`] : [];
  const system = process.platform === 'darwin'
    ? ['/opt/homebrew/opt/openblas/lib', '/usr/local/opt/openblas/lib', '/opt/local/lib']
    : [...lib.flatMap((d) => [`${d}/openblas-pthread`, `${d}/openblas-openmp`, `${d}/openblas-serial`, d]), '/usr/lib64', '/usr/lib64/openblas-pthreads', '/usr/lib', '/usr/local/lib', '/opt/OpenBLAS/lib'];
  return [...env.split(path.delimiter).filter((d) => d !== ''), ...system];
}

/** Candidate files, best first: OpenBLAS by its own names, then generic BLAS names (accepted only if OpenBLAS), then Accelerate. */
function candidates(): { file: string; openblasOnly: boolean }[] {
  const own = process.platform === 'darwin' ? ['libopenblas.dylib', 'libopenblas.0.dylib'] : ['libopenblas.so.0', 'libopenblas.so', 'libopenblasp.so.0', 'libopenblaso.so.0'];
  const generic = process.platform === 'darwin' ? [] : ['libcblas.so.3', 'libblas.so.3'];
  const dirs = blasSearchDirs();
  const out: { file: string; openblasOnly: boolean }[] = [];
  for (const d of dirs) for (const n of own) out.push({ file: path.join(d, n), openblasOnly: false });
  for (const d of dirs) for (const n of generic) out.push({ file: path.join(d, n), openblasOnly: true });
  if (process.platform === 'darwin' && !process.env[BLAS_SEARCH_ENV]) out.push({ file: '/System/Library/Frameworks/Accelerate.framework/Accelerate', openblasOnly: false });
  return out.filter((c) => c.file.startsWith('/System/') || fs.existsSync(c.file));
}

/** Why a file could not serve as the BLAS (thrown by bind). */
class NotCblas extends Error {}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** Loads `file` and binds the routines; throws NotCblas with the reason. */
function bind(k: Koffi, file: string, openblasOnly: boolean, threads: number): Blas {
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = k.load(file);
  } catch (e) {
    throw new NotCblas(`cannot load it (${firstLine(e)})`);
  }
  const optional = (decl: string) => {
    try {
      return lib.func(decl);
    } catch {
      return null;
    }
  };
  const getConfig = optional('const char *openblas_get_config()');
  if (openblasOnly && getConfig === null) throw new NotCblas('it is not OpenBLAS');
  let dgemm, dgemv, dger;
  try {
    dgemm = lib.func('void cblas_dgemm(int, int, int, int, int, int, double, const double *, int, const double *, int, double, double *, int)');
    dgemv = lib.func('void cblas_dgemv(int, int, int, int, double, const double *, int, const double *, int, double, double *, int)');
    dger = lib.func('void cblas_dger(int, int, int, double, const double *, int, const double *, int, double *, int)');
  } catch (e) {
    throw new NotCblas(`it has no CBLAS interface (${firstLine(e)})`);
  }
  const getCore = optional('const char *openblas_get_corename()');
  const setNum = optional('void openblas_set_num_threads(int)');
  const blas: Blas = {
    library: file,
    realPath: file.startsWith('/System/') ? file : fs.realpathSync(file),
    config: getConfig ? String(getConfig()) : null,
    core: getCore ? String(getCore()) : null,
    threads: null,
    dgemm,
    dgemv,
    dger,
    setThreads(n: number) {
      if (setNum === null) return;
      setNum(n);
      blas.threads = n;
    },
  };
  blas.setThreads(threads);
  return blas;
}

/** BLAS threads asked for: CREDITFLOW_BLAS_THREADS when set (an integer >= 1), else 1. */
export function requestedThreads(): number {
  const raw = process.env[BLAS_THREADS_ENV];
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`${BLAS_THREADS_ENV} must be an integer >= 1 (got '${raw}'); unset it for one BLAS thread per process`);
  return n;
}

/**
 * Loads the BLAS: `file` when given (an explicit choice: errors are thrown, naming `what`), else
 * CREDITFLOW_BLAS when set (same), else the first OpenBLAS found (null when there is none, or when
 * koffi cannot load on this platform: `reason` says which).
 */
export function findBlas(opts: { file?: string | null; threads?: number } = {}): { blas: Blas | null; reason: string } {
  const threads = opts.threads ?? requestedThreads();
  const explicit = opts.file ?? (process.env[BLAS_ENV] || null);
  const what = opts.file ? `the BLAS library ${opts.file}` : `${BLAS_ENV}=${explicit}`;
  if (explicit !== null && !fs.existsSync(explicit)) {
    throw new Error(`${what}: no such file; set ${BLAS_ENV} to the path of a CBLAS library (e.g. /usr/lib/x86_64-linux-gnu/libopenblas.so.0 from Debian's libopenblas0-pthread) or unset it`);
  }
  const k = koffi();
  if (k === null) {
    const why = `the koffi package cannot be loaded (${koffiError}); run npm ci`;
    if (explicit !== null) throw new Error(`${what}: ${why}`);
    return { blas: null, reason: why };
  }
  // OpenBLAS sizes its thread pool from OPENBLAS_NUM_THREADS when it loads; set it for the load only
  // (child processes keep the environment as it was)
  const setEnv = process.env.OPENBLAS_NUM_THREADS === undefined;
  if (setEnv) process.env.OPENBLAS_NUM_THREADS = String(threads);
  try {
    if (explicit !== null) {
      try {
        return { blas: bind(k, path.resolve(explicit), false, threads), reason: '' };
      } catch (e) {
        if (!(e instanceof NotCblas)) throw e;
        throw new Error(`${what} is not a usable CBLAS library: ${e.message}; point ${BLAS_ENV} at OpenBLAS (apt-get install libopenblas0-pthread gives /usr/lib/x86_64-linux-gnu/libopenblas.so.0) or unset it`);
      }
    }
    const skipped: string[] = [];
    for (const c of candidates()) {
      try {
        return { blas: bind(k, c.file, c.openblasOnly, threads), reason: '' };
      } catch (e) {
        if (!(e instanceof NotCblas)) throw e;
        skipped.push(`${c.file}: ${e.message}`);
      }
    }
    const looked = skipped.length > 0 ? `skipped ${skipped.join('; ')}` : `looked in ${blasSearchDirs().join(', ')}`;
    return { blas: null, reason: `no OpenBLAS found (${looked})` };
  } finally {
    if (setEnv) delete process.env.OPENBLAS_NUM_THREADS;
  }
}
