/**
 * `creditflow`: the command line.
 *
 *   creditflow list                       registered solvers, models, experiments, theorem checks
 *   creditflow verify [--only id,...]     run the theorem checks, print a table, exit 1 on a failure
 *   creditflow reproduce <experiment>     regenerate a paper's figure or table
 *   creditflow <model command> ...        e.g. creditflow train urfb
 *
 * Every command takes --help. Bad input ends with a one-line message and exit code 2. Run as a
 * program, the command runs in a child process under supervise.ts (signals stop it at once).
 */
import { solvers } from '../../solvers/index';
import { checks, commands, defineCommand, experiments, loadModels, models, type CommandSpec } from '../registry';
import { makeContext } from '../experiment/context';
import { closeOpenRuns } from '../io/run';
import { applyBackendOption, formatHelp, parseOptions, UsageError, type OptionSpec } from '../experiment/options';
import { findPlanCommand, gatherCommand, runOneCommand } from './plan';
import { queueStatusCommand, queueSubmitCommand, workerCommand } from './queue';
import { reportCommand } from './report';
import { becomeSupervisedChild, errorLine, supervise } from './supervise';
import { runVerify, verifyOptions } from './verify';

const builtins: CommandSpec[] = [
  {
    name: 'list',
    description: 'List registered solvers, models, experiments, commands and theorem checks.',
    options: [],
    run(opts, ctx) {
      const data = {
        solvers: solvers.entries().map(([name, s]) => ({
          name,
          description: s.description,
          order: s.order,
          strongOrder: s.strongOrder,
          weakOrder: s.weakOrder,
          adaptive: s.adaptive,
          sde: s.sde,
        })),
        models: models.entries().map(([, m]) => m),
        experiments: experiments.entries().map(([name, e]) => ({ name, description: e.description })),
        commands: commands.entries().map(([name, c]) => ({ name, description: c.description })),
        checks: checks.entries().map(([id, c]) => ({ id, paper: c.paper, claim: c.claim })),
      };
      if (opts.json) {
        process.stdout.write(JSON.stringify(data, null, 2) + '\n');
        return 0;
      }
      const section = (title: string, rows: string[][]) => {
        ctx.log(`\n${title}`);
        if (rows.length === 0) ctx.log('  (none)');
        const w = Math.max(0, ...rows.map((r) => r[0].length)) + 2;
        for (const r of rows) ctx.log('  ' + r[0].padEnd(w) + r.slice(1).join('  '));
      };
      section('solvers', data.solvers.map((s) => [s.name, s.description]));
      section('models', data.models.map((m) => [m.name, `${m.description} (${m.paper})`]));
      section('experiments (creditflow reproduce <name>)', data.experiments.map((e) => [e.name, e.description]));
      section('commands', data.commands.map((c) => [c.name, c.description]));
      section('theorem checks (creditflow verify)', data.checks.map((c) => [c.id, `${c.paper}: ${c.claim}`]));
      return 0;
    },
  },
  defineCommand({
    name: 'verify',
    description: 'Run every registered theorem check and print a table (claim, measured quantity, bound, pass/fail). Exits 1 if any fails.',
    options: verifyOptions,
    run: (opts, ctx) => runVerify(opts, ctx),
  }),
  reportCommand,
  runOneCommand,
  gatherCommand,
  queueSubmitCommand,
  queueStatusCommand,
  workerCommand,
];

function topHelp(): string {
  const rows: [string, string][] = [
    ...builtins.map((b) => [b.name, b.description] as [string, string]),
    ['reproduce <experiment>', 'regenerate a figure or table of a paper (see list)'],
    ['plan <experiment>', 'write the independent runs of an experiment as a sweep plan (SLURM job array, queue; see README "Running at scale")'],
    ...commands.entries().map(([n, c]) => [n, c.description] as [string, string]),
  ];
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  return (
    'usage: creditflow <command> [options]\n\n' +
    'Learning in neural circuits as continuous-time dynamics: theorem checks and paper reproductions.\n\ncommands:\n' +
    rows.map(([a, b]) => '  ' + a.padEnd(w) + b).join('\n') +
    '\n\nRun `creditflow <command> --help` for the options of a command.\n'
  );
}

/** Find the command named by the longest prefix of argv. */
function findCommand(argv: string[]): { spec: CommandSpec; rest: string[]; usage: string } | null {
  const plan = findPlanCommand(argv);
  if (plan) return plan;
  if (argv[0] === 'reproduce') {
    const name = argv[1];
    if (!name || name.startsWith('--')) {
      if (name === '--help' || name === undefined) {
        const list = experiments.names().sort().join(', ');
        throw new UsageError(`reproduce needs an experiment name; valid experiments: ${list || '(none registered)'}`);
      }
    }
    const spec = experiments.get(name!);
    return { spec, rest: argv.slice(2), usage: `creditflow reproduce ${name} [options]` };
  }
  for (const b of builtins) {
    const words = b.name.split(' ').length;
    if (argv.slice(0, words).join(' ') === b.name) return { spec: b, rest: argv.slice(words), usage: `creditflow ${b.name} ${b.usage ?? '[options]'}` };
  }
  const words = argv.filter((a) => !a.startsWith('--'));
  for (let k = Math.min(3, words.length); k >= 1; k--) {
    const name = argv.slice(0, k).join(' ');
    if (commands.has(name)) return { spec: commands.get(name), rest: argv.slice(k), usage: `creditflow ${name} ${commands.get(name).usage ?? '[options]'}` };
  }
  return null;
}

/**
 * An allocation that failed (a typed array or string too large for this machine) as one line that
 * says so and names the command's size options, instead of V8's raw RangeError.
 */
export function outOfMemory(e: unknown, options: readonly OptionSpec[]): Error | null {
  if (!(e instanceof RangeError) || !/Array buffer allocation failed|Invalid typed array length|Invalid array length|Invalid string length/.test(e.message)) return null;
  const sizes = options.filter((o) => (o.type === 'integer' || o.type === 'integers') && !/seed|workers|checkpoint/.test(o.name)).map((o) => `--${o.name}`);
  return new Error(`the run needs more memory than it can get (${e.message}); lower its sizes${sizes.length ? ` (${sizes.join(', ')})` : ''}`);
}

export async function main(argv: string[]): Promise<number> {
  await loadModels();
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help' || argv[0] === '-h') {
    process.stdout.write(topHelp());
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const valid = ['list', 'verify', 'reproduce', ...commands.names(), 'plan', 'run-one', 'gather', 'queue submit', 'queue status', 'worker'];
    throw new UsageError(`unknown command '${argv[0]}'; valid commands: ${valid.join(', ')}`);
  }
  const { spec, rest, usage } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(formatHelp(usage, spec.description, spec.options as OptionSpec[]));
    return 0;
  }
  const opts = parseOptions(rest, spec.options);
  if (opts._.length > 0 && !spec.positional) throw new UsageError(`unexpected argument '${opts._[0]}': options start with -- (see creditflow ${argv[0] === 'reproduce' ? 'reproduce ' : ''}${spec.name} --help)`);
  applyBackendOption(opts);
  const ctx = makeContext(Boolean(opts.json));
  let code: number | void;
  try {
    code = await spec.run(opts, ctx);
  } catch (e) {
    closeOpenRuns('failed');
    throw outOfMemory(e, spec.options as OptionSpec[]) ?? e;
  }
  return typeof code === 'number' ? code : 0;
}

if (require.main === module) {
  if (becomeSupervisedChild()) {
    main(process.argv.slice(2)).then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        process.stderr.write(errorLine(err));
        process.exitCode = 2;
      },
    );
  } else {
    void supervise(process.argv.slice(2)).then((code) => {
      process.exitCode = code;
    });
  }
}
