/**
 * Private SLURM and Redis instances for the system tests, started by the tests themselves (`.ci/run`
 * only installs the Debian packages): everything lives in a temporary folder, on free ports, so a
 * test never touches /etc/slurm, the system's munge key or another Redis.
 *
 * SLURM: munged with its own key and socket; slurmctld and slurmd as root on this one node, without
 * cgroups (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none, no cgroup.conf); clients find
 * the configuration through SLURM_CONF. Redis: redis-server on 127.0.0.1 without persistence.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** The full path of a program (PATH, then the sbin folders), or an error naming the Debian package. */
export function program(name: string, pkg: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    const f = path.join(d, name);
    if (d && fs.existsSync(f)) return f;
  }
  throw new Error(`${name} is not installed: apt-get install -y ${pkg} (.ci/run does)`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function until(what: string, check: () => boolean, seconds: number, log?: () => string): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > seconds * 1000) throw new Error(`${what} did not come up within ${seconds} s${log ? `:\n${log()}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function tail(file: string, n = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  for (const c of children.reverse()) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

export interface Slurm {
  /** Environment for SLURM clients (sbatch, squeue, scontrol): SLURM_CONF and PATH. */
  env: NodeJS.ProcessEnv;
  /** Run a SLURM client; its stdout, or an error with its stderr. */
  run(program: 'sbatch' | 'squeue' | 'scontrol' | 'scancel' | 'sinfo', args: string[]): string;
  stop(): Promise<void>;
}

export async function startSlurm(): Promise<Slurm> {
  if (process.getuid?.() !== 0) throw new Error('the SLURM tests start slurmd, which must run as root (as in .ci/run)');
  const munged = program('munged', 'munge');
  const slurmctld = program('slurmctld', 'slurmctld');
  const slurmd = program('slurmd', 'slurmd');
  const sbin = { sbatch: program('sbatch', 'slurm-client'), squeue: program('squeue', 'slurm-client'), scontrol: program('scontrol', 'slurm-client'), scancel: program('scancel', 'slurm-client'), sinfo: program('sinfo', 'slurm-client') };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-slurm-'));
  const keyDir = path.join(dir, 'munge-key');
  const runDir = path.join(dir, 'munge-run');
  fs.mkdirSync(keyDir, { mode: 0o700 });
  fs.mkdirSync(runDir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  const key = path.join(keyDir, 'munge.key');
  fs.writeFileSync(key, crypto.randomBytes(1024), { mode: 0o400 });
  const socket = path.join(runDir, 'munge.socket');
  const children: ChildProcess[] = [];
  const log = (name: string) => fs.openSync(path.join(dir, `${name}.out`), 'a');
  children.push(spawn(munged, ['-F', '-f', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${path.join(runDir, 'munged.pid')}`, `--log-file=${path.join(dir, 'munged.log')}`, `--seed-file=${path.join(runDir, 'munged.seed')}`], { stdio: ['ignore', log('munged'), log('munged')] }));
  await until('munged', () => fs.existsSync(socket), 30, () => tail(path.join(dir, 'munged.out')));

  const host = os.hostname().split('.')[0];
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'slurm.conf');
  for (const d of ['ctld', 'd']) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(
    conf,
    [
      'ClusterName=creditflow-test',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SchedulerType=sched/backfill',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'MpiDefault=none',
      'ReturnToService=2',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      `StateSaveLocation=${path.join(dir, 'ctld')}`,
      `SlurmdSpoolDir=${path.join(dir, 'd')}`,
      `SlurmctldPidFile=${path.join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${path.join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${path.join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${path.join(dir, 'slurmd.log')}`,
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${os.cpus().length} RealMemory=1000 State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  children.push(spawn(slurmctld, ['-D', '-f', conf], { env, stdio: ['ignore', log('slurmctld'), log('slurmctld')] }));
  children.push(spawn(slurmd, ['-D', '-f', conf, '-N', host], { env, stdio: ['ignore', log('slurmd'), log('slurmd')] }));
  const run = (p: keyof typeof sbin, args: string[]) => {
    const r = spawnSync(sbin[p], args, { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${p} ${args.join(' ')}: exit ${r.status}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const idle = () => {
    const r = spawnSync(sbin.sinfo, ['-h', '-o', '%T'], { env, encoding: 'utf8' });
    return r.status === 0 && r.stdout.trim() === 'idle';
  };
  try {
    await until('the SLURM node', idle, 60, () => `${tail(path.join(dir, 'slurmctld.log'))}\n${tail(path.join(dir, 'slurmd.log'))}\n${tail(path.join(dir, 'slurmd.out'))}`);
  } catch (e) {
    await stopAll(children);
    throw e;
  }
  return {
    env,
    run,
    async stop() {
      spawnSync(sbin.scancel, ['--user', 'root'], { env });
      await until('the SLURM jobs to end', () => spawnSync(sbin.squeue, ['-h'], { env, encoding: 'utf8' }).stdout.trim() === '', 60).catch(() => {});
      await stopAll(children);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Redis {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<Redis> {
  const server = program('redis-server', 'redis-server');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-redis-'));
  const out = path.join(dir, 'redis.out');
  const child = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', fs.openSync(out, 'a'), fs.openSync(out, 'a')] });
  try {
    await until('redis-server', () => /Ready to accept connections/.test(fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : ''), 30, () => tail(out));
  } catch (e) {
    await stopAll([child]);
    throw e;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await stopAll([child]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
