/**
 * The command line's process only supervises: the command runs in a child process (this same
 * main.ts, forked with tsx's loader). A signal (SIGINT, SIGTERM, SIGHUP) to the supervisor kills
 * the child at once, even inside a synchronous training loop that would never let a JavaScript
 * signal handler run; the supervisor then closes every open run's manifest as 'interrupted',
 * removes its lock and half-written temporary files, and prints the command that continues it
 * (checkpoints are written atomically, so what is on disk is always a resumable state). The child
 * ignores these signals itself (Ctrl-C reaches the whole process group), so only one side acts.
 *
 * Exit codes: the command's (2 for bad input); 128 + the signal's number when stopped (130 for
 * SIGINT, 143 for SIGTERM). A child killed from outside (the kernel's out-of-memory killer) is
 * reported with its signal and its open runs are closed the same way.
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { markInterrupted, RUN_ANNOUNCE, type RunAnnouncement } from '../io/run';

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type Signal = keyof typeof SIGNALS;

/** Set in the child's environment; main.ts runs the command in-process when it sees it. */
export const SUPERVISED_ENV = 'CREDITFLOW_SUPERVISED_CHILD';

/** tsx's ESM loader as a URL for --import. */
function tsxLoader(): string {
  return pathToFileURL(require.resolve('tsx', { paths: [path.join(__dirname, '..', '..')] })).href;
}

/**
 * This process's Node flags (--max-old-space-size, --stack-size, …) for the child, without tsx's own
 * loader flags (the child gets the loader once, below).
 */
export function ownNodeFlags(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (a.includes('tsx')) continue;
    if (['--import', '--require', '-r', '--loader', '--experimental-loader'].includes(a) && (execArgv[i + 1] ?? '').includes('tsx')) {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** One line for an error that reached the top: `creditflow: <message>`, the stack only with CREDITFLOW_DEBUG. */
export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const stack = process.env.CREDITFLOW_DEBUG && err instanceof Error ? String(err.stack) + '\n' : '';
  return `creditflow: ${message.split('\n')[0]}\n${stack}`;
}

/**
 * In the child: ignore the stop signals (the supervisor acts on them) and tell the supervisor which
 * run folders are open. Returns false when this process is not a supervised child.
 */
let supervisedChild = false;

/** The pid a user knows the command by: the supervisor's, when this process is its child. */
export function commandPid(): number {
  return supervisedChild ? process.ppid : process.pid;
}

export function becomeSupervisedChild(): boolean {
  if (process.env[SUPERVISED_ENV] !== '1' || typeof process.send !== 'function') return false;
  delete process.env[SUPERVISED_ENV];
  supervisedChild = true;
  for (const sig of Object.keys(SIGNALS)) process.on(sig, () => {});
  // The supervisor is gone (killed with SIGKILL): stop at the next turn of the event loop rather than run on unattended.
  // (unref: the channel must not keep this process alive once the command is done)
  process.on('disconnect', () => process.exit(129));
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
  // A reader that stops early (creditflow list | head) closes the pipe: end quietly, as a shell tool does, not with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  (globalThis as Record<symbol, unknown>)[RUN_ANNOUNCE] = (announce: RunAnnouncement) => process.send?.({ announce });
  return true;
}

/** Run `argv` as a creditflow command in a supervised child process; resolves with the exit code. */
export function supervise(argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    // from the sources main.ts runs through tsx; the installed package runs the compiled main.js
    const compiled = __filename.endsWith('.js');
    const child = fork(path.join(__dirname, compiled ? 'main.js' : 'main.ts'), [...argv], {
      execArgv: [...ownNodeFlags(process.execArgv), ...(compiled ? [] : ['--import', tsxLoader()])],
      env: { ...process.env, [SUPERVISED_ENV]: '1' },
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    });
    const open = new Map<string, boolean>();
    let stoppedBy: Signal | null = null;
    const handlers = new Map<Signal, () => void>();
    for (const sig of Object.keys(SIGNALS) as Signal[]) {
      const h = () => {
        if (stoppedBy) process.exit(128 + SIGNALS[sig]);
        stoppedBy = sig;
        child.kill('SIGKILL');
      };
      handlers.set(sig, h);
      process.on(sig, h);
    }
    child.on('message', (m: { announce?: RunAnnouncement }) => {
      if (!m?.announce) return;
      if (m.announce.type === 'open') open.set(m.announce.dir, m.announce.resumable);
      else open.delete(m.announce.dir);
    });
    child.on('error', (e) => process.stderr.write(errorLine(e)));
    child.on('exit', (code, signal) => {
      for (const [sig, h] of handlers) process.off(sig, h);
      if (stoppedBy) {
        for (const [dir, resumable] of open) process.stderr.write(`\n${markInterrupted(dir, stoppedBy, argv, resumable)}\n`);
        if (open.size === 0) process.stderr.write(`\ninterrupted (${stoppedBy})\n`);
        return resolve(128 + SIGNALS[stoppedBy]);
      }
      if (signal) {
        const why = signal === 'SIGKILL' ? `${signal} (the system may have run out of memory)` : signal;
        for (const [dir, resumable] of open) process.stderr.write(`${markInterrupted(dir, why, argv, resumable)}\n`);
        process.stderr.write(`creditflow: the command was killed by ${why}\n`);
        return resolve(128 + (SIGNALS[signal as Signal] ?? 9));
      }
      resolve(code ?? 1);
    });
  });
}
