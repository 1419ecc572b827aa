import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { trainNetworkOptions } from '@proxyless/core';
import { deriveCommand } from './commands/derive.js';
import { EVAL_SPLITS, evalCommand, type EvalOptions } from './commands/eval.js';
import { exportCommand, type ExportOptions } from './commands/export.js';
import { inspectCommand, type InspectOptions } from './commands/inspect.js';
import { registerLatencyCommands } from './commands/latency.js';
import { reportCommand, type ReportOptions } from './commands/report.js';
import { searchCommand, type SearchOptions } from './commands/search.js';
import { trainCommand, type TrainFlagValues } from './commands/train.js';
import { validateCommand } from './commands/validate.js';
import { schemaCommand, type SchemaOptions } from './commands/schema.js';
import { registerSweepCommand } from './commands/sweep.js';
import { registerWorkerCommand } from './commands/worker.js';
import type { CommandContext } from './commands/common.js';
import { exitCodeOf, isConfigError } from './errors.js';
import { oneLine } from './format.js';
import { Output, processIo, type CliIo } from './output.js';
import { prepareRuntime } from './runtime.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface RunState {
  out?: Output;
  exitCode?: number;
}

const EXIT_CODES = `
Exit codes:
  0    success
  1    the command failed (the reason is printed on stderr)
  2    invalid config, architecture file or command line, or a bad input file (data, latency table,
       checkpoint, net config): the file, the field, the value and what was expected are printed
  130  interrupted (Ctrl-C); a search writes a checkpoint first
  143  stopped by SIGTERM (docker stop, systemd, Kubernetes): handled like Ctrl-C

Environment:
  PROXYLESS_DEBUG=1  print stack traces and TensorFlow.js warnings`;

/**
 * The `proxyless` program (commander). Actions record their exit code in `state`; `runCli` turns
 * errors into one-line messages and exit codes.
 */
export function createProgram(io: CliIo = processIo(), state: RunState = {}): Command {
  const program = new Command('proxyless');
  program
    .description('Hardware-aware neural architecture search (ProxylessNAS) on TensorFlow.js')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for a command')
    .option('--json', 'machine-readable output: one JSON object on stdout at the end; no progress bars, no logs')
    .option('-q, --quiet', 'no logs and no progress; only results and errors')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`proxyless: ${s.replace(/^error: /, '')}`),
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Examples:
  $ proxyless validate examples/fashion-mnist/quick.yaml
  $ proxyless search examples/fashion-mnist/quick.yaml
  $ proxyless search --resume runs/quick-2025-01-01T00-00-00-000Z
  $ proxyless derive runs/quick-2025-01-01T00-00-00-000Z
  $ proxyless train runs/quick-2025-01-01T00-00-00-000Z/architecture.json --epochs 5
  $ proxyless eval runs/quick-2025-01-01T00-00-00-000Z/model
  $ proxyless search config.yaml --json > result.json
${EXIT_CODES}`,
    );

  const act =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const g = cmd.optsWithGlobals<{ json?: boolean; quiet?: boolean }>();
      const out = new Output(io, { json: g.json === true, quiet: g.quiet === true });
      state.out = out;
      await prepareRuntime(io.env);
      state.exitCode = await fn({ io, out }, ...(args.slice(0, -1) as A));
    };

  program
    .command('search')
    .description('run an architecture search from a config file (JSON or YAML), or resume one from its checkpoint')
    .argument('[config]', 'search config file (JSON or YAML); not given with --resume')
    .option('-o, --out <dir>', 'run directory to write (default: <output.dir>/<config name>-<timestamp> from the config)')
    .option('-r, --resume <run-dir>', 'continue the search in this run directory from its last checkpoint (uses the config stored there)')
    .option('--workers <n>', 'data-parallel worker threads, a number or "auto" (default: trainer.options.workers; a resumed run keeps its own)')
    .option('--force', 'replace the run in --out (or output.name) when that directory already holds one (default: refuse, and say how to resume it)')
    .addHelpText(
      'after',
      `
The run directory receives config.json, metrics.jsonl (one record per step and epoch),
checkpoint.ckpt (written every trainer.options.checkpointEvery steps and at each epoch end),
architecture.json and result.json; with a measuring latency provider also latency-calibration.json
(the op table fitted to whole networks, reused by --resume and derive). Ctrl-C (or SIGTERM) stops after the current step, writes a
checkpoint and exits with 130 (143); a second signal quits at once. One process writes a run
directory at a time: a second search, resume, derive or report on it fails at once, naming the
holder (the lock file .proxyless.lock records its pid and host). Resuming a finished run changes
nothing.

Examples:
  $ proxyless search examples/fashion-mnist/quick.yaml
  $ proxyless search search.yaml --out runs/try1
  $ proxyless search --resume runs/try1
  $ proxyless search search.yaml --json | jq .architecture`,
    )
    .action(act((ctx, config: string | undefined, opts: SearchOptions) => searchCommand(ctx, config, opts)));

  program
    .command('validate')
    .description("dry run: resolve every plugin of a search config, validate every slot's options and the cross-slot requirements, print the resolved config; loads no data and trains nothing")
    .argument('<config>', 'search config file (JSON or YAML)')
    .addHelpText(
      'after',
      `
Prints one line per slot (plugin, where it was loaded from); with --json, the resolved config: every
slot's options validated and defaulted, as a search would receive them. A bad config exits with 2 and
the same message a search would print (file, field, value and what was expected).

Examples:
  $ proxyless validate examples/fashion-mnist/quick.yaml
  $ proxyless validate search.yaml --json | jq .config.trainer.options`,
    )
    .action(act((ctx, file: string) => validateCommand(ctx, file)));

  program
    .command('schema')
    .description("print (or write) the JSON Schema of a search config, for editors: core's slots and built-ins plus every installed plugin package's options")
    .option('-o, --out <file>', 'write the schema to this file (atomically) instead of stdout')
    .option('--plugin <package...>', 'also describe these plugin packages (third-party ones; the official @proxyless packages installed are always described)')
    .addHelpText(
      'after',
      `
The schema is generated from the plugins' zod option schemas. @proxyless/cli ships one for the official
packages (@proxyless/cli/schema.json, i.e. node_modules/@proxyless/cli/schema/search-config.schema.json);
point a config at it: a top-level $schema key (JSON and YAML; proxyless ignores it) or, for YAML, a
# yaml-language-server: $schema=<path> comment.

Examples:
  $ proxyless schema --out search-config.schema.json
  $ proxyless schema --plugin proxyless-strategy-uniform > schema.json`,
    )
    .action(act((ctx, opts: SchemaOptions) => schemaCommand(ctx, opts)));

  program
    .command('derive')
    .description("derive the architecture from a run's last checkpoint and write <run-dir>/architecture.json")
    .argument('<run-dir>', 'run directory of a finished or interrupted search')
    .addHelpText(
      'after',
      `
Prints one line per searchable block: label, chosen candidate and its probability.

Examples:
  $ proxyless derive runs/try1
  $ proxyless derive runs/try1 --json`,
    )
    .action(act((ctx, runDir: string) => deriveCommand(ctx, runDir)));

  const d = trainNetworkOptions.parse({});
  program
    .command('train')
    .description('train a derived architecture from scratch, evaluate it on the test split and save a model directory')
    .argument('<architecture.json>', 'architecture file written by `proxyless search` or `proxyless derive`')
    .option('-o, --out <dir>', 'model directory to write (default: <folder of architecture.json>/model)')
    .option('--epochs <n>', `training epochs (default: ${d.epochs})`)
    .option('--batch-size <n>', `examples per batch (default: ${d.batchSize})`)
    .option('--lr <x>', `initial learning rate, > 0 (default: ${d.lr})`)
    .addOption(new Option('--lr-schedule <schedule>', `learning-rate schedule (default: ${d.lrSchedule})`).choices(['cosine', 'constant']))
    .option('--momentum <x>', `SGD momentum in [0, 1] (default: ${d.momentum})`)
    .option('--weight-decay <x>', `L2 weight decay on kernels, >= 0 (default: ${d.weightDecay})`)
    .option('--label-smoothing <x>', `label smoothing in [0, 1] (default: ${d.labelSmoothing})`)
    .option('--max-batches-per-epoch <n>', 'cap on batches per epoch, for quick runs (default: all)')
    .option('--backend <name>', 'backend plugin to train on (default: the one in architecture.json, else cpu)')
    .option('--workers <n>', 'data-parallel worker threads, a number or "auto" (one per core, at most 4) (default: 1)')
    .option('--resume', 'continue the training whose checkpoint is in the model directory (same architecture, options and workers); a finished model of the same training there is left as it is; with neither, start from scratch')
    .addHelpText(
      'after',
      `
The model directory holds weights.ckpt, architecture.json and metrics.json. While it trains,
train-checkpoint.ckpt there holds the state after the last finished epoch (written atomically, removed
at the end): after a kill or Ctrl-C, the same command with --resume continues from it, exactly as if
it had not stopped.

--workers N splits every batch over N threads (the wasm and cpu backends use one core each) and
averages their gradients: about N times the throughput on N free cores. Batch-norm statistics are
computed per slice (batch/N examples), so results differ slightly from --workers 1 (the default,
which does not depend on the machine's core count).

Examples:
  $ proxyless train runs/try1/architecture.json
  $ proxyless train runs/try1/architecture.json --epochs 1 --max-batches-per-epoch 20 --out /tmp/model
  $ proxyless train runs/try1/architecture.json --lr 0.1 --lr-schedule constant --json
  $ proxyless train runs/try1/architecture.json --workers auto
  $ proxyless train runs/try1/architecture.json --workers auto --resume`,
    )
    .action(act((ctx, file: string, opts: TrainFlagValues) => trainCommand(ctx, file, opts)));

  program
    .command('eval')
    .description('evaluate a trained model directory: loss, accuracy and example count on a split')
    .argument('<model-dir>', 'model directory written by `proxyless train`')
    .addOption(new Option('--split <split>', 'which split to evaluate (default: test)').choices([...EVAL_SPLITS]))
    .option('--batch-size <n>', 'examples per evaluation batch (default: 256)')
    .option('--backend <name>', 'backend plugin to evaluate on (default: the one in architecture.json, else cpu)')
    .addHelpText(
      'after',
      `
Examples:
  $ proxyless eval runs/try1/model
  $ proxyless eval runs/try1/model --split validation --json`,
    )
    .action(act((ctx, dir: string, opts: EvalOptions) => evalCommand(ctx, dir, opts)));

  program
    .command('export')
    .description("save a trained model in a format other runtimes load (tfjs-layers: a TF.js LayersModel, checked against the trained network), or its architecture as an official ProxylessNAS net config (net-config, checked by reading it back)")
    .argument('<model-dir>', 'model directory written by `proxyless train`, or a run directory whose model/ holds one (net-config: any folder with an architecture.json, e.g. a derived run)')
    .option('-o, --out <dir>', 'folder to write (default: <model-dir>/exported; net-config writes net-config.json there)')
    .option('--format <format>', 'tfjs-layers (default; the space\'s exportModel: mbconv, tree-cell) or net-config (ProxylessNASNets for mbconv, PyramidTreeNet for tree-cell; no weights needed)')
    .option('--check <n>', 'test examples on which the exported model must predict what the trained network does (0: no check; default: 256)')
    .option('--backend <name>', 'backend plugin to run on (default: the one in architecture.json, else cpu)')
    .addHelpText(
      'after',
      `
Examples:
  $ proxyless export runs/try1/model
  $ proxyless export runs/try1 --format tfjs-layers      # the run directory's model/
  $ proxyless export runs/try1/model --out web/model --json
  $ proxyless export runs/try1 --format net-config      # runs/try1/exported/net-config.json (after proxyless derive)`,
    )
    .action(act((ctx, dir: string, opts: ExportOptions) => exportCommand(ctx, dir, opts)));

  program
    .command('inspect')
    .description('print a network stage by stage (layers, output shapes, kernel/expand, skipped blocks), its parameters and MACs per image')
    .argument('<file>', 'a ProxylessNASNets net config (JSON) or an architecture.json written by `proxyless search` or `proxyless derive`')
    .option('--resolution <n>', 'input size of a net config (net configs carry none; default: 224)')
    .option('--latency-table <file>', 'add the net config\'s latency from a lookup table (official ProxylessNAS YAML or JSON): text, and field latency_ms with --json; a layer missing from the table is an error naming its key')
    .addHelpText(
      'after',
      `
Examples:
  $ proxyless inspect proxyless_mobile.json
  $ proxyless inspect proxyless_mobile.json --latency-table node_modules/@proxyless/latency/tables/pixel1-mobile_trim.yaml --json | jq .latency_ms
  $ proxyless inspect runs/try1/architecture.json --json | jq .params`,
    )
    .action(act((ctx, file: string, opts: InspectOptions) => inspectCommand(ctx, file, opts)));

  program
    .command('report')
    .description('write a self-contained HTML report of a run (curves, path probabilities, architecture, latency, comparisons)')
    .argument('<run-dir>', 'run directory written by `proxyless search` (finished or interrupted)')
    .option('-o, --out <file>', 'HTML file to write (default: <run-dir>/report.html)')
    .addHelpText(
      'after',
      `
Prints the path of the report. \`proxyless search\` writes <run-dir>/report.html by itself after
every epoch (refresh it to follow a running search) and when it finishes; the charts zoom (drag) and
show values on hover. Optional comparisons.json and latency.json in the run directory add the
accuracy-vs-latency scatter and measured latencies (see the @proxyless/report README).

Examples:
  $ proxyless report runs/try1
  $ proxyless report runs/try1 --out /tmp/try1.html --json`,
    )
    .action(act((ctx, runDir: string, opts: ReportOptions) => reportCommand(ctx, runDir, opts)));

  registerLatencyCommands(program, act);
  registerWorkerCommand(program, act);
  registerSweepCommand(program, act);

  return program;
}

/**
 * Runs the CLI on `argv` (`process.argv` shape: node, script, ...args) and returns the exit code.
 * Every failure prints `proxyless: <reason>` on stderr (a config error in full) and, with --json,
 * a `{ "ok": false, ... }` object on stdout.
 */
export async function runCli(argv: readonly string[] = process.argv, io: CliIo = processIo()): Promise<number> {
  const state: RunState = {};
  const program = createProgram(io, state);
  try {
    await program.parseAsync([...argv]);
    return state.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (help, version, usage errors)
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      if (argv.includes('--json')) {
        new Output(io, { json: true, quiet: false }).emitJson({ ok: false, exitCode: 2, error: { name: 'UsageError', message: err.message.replace(/^error: /, '') } });
      }
      return 2;
    }
    const out = state.out ?? new Output(io, { json: argv.includes('--json'), quiet: false });
    const code = exitCodeOf(err);
    const e = err instanceof Error ? err : new Error(String(err));
    out.error(`proxyless: ${isConfigError(e) ? e.message : oneLine(e.message)}`);
    if (out.debug && e.stack) out.error(e.stack);
    out.emitJson({
      ok: false,
      exitCode: code,
      error: { name: e.name, message: e.message, ...(isConfigError(e) ? { file: e.file, problems: e.problems } : {}) },
    });
    return code;
  }
}
