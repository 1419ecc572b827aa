import * as tf from '@tensorflow/tfjs-core';
import type { interfaces } from 'inversify';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { readCheckpointJson } from '../artifacts/checkpoint.js';
import { RUN_DIRECTORY_PLUGIN, RunFiles } from '../artifacts/run-directory-plugin.js';
import { lockRunDirectory, RUN_LOCK_FILE, type RunLock } from '../artifacts/run-lock.js';
import { coreModule } from '../builtin-plugins.js';
import { CONFIG_OBJECT_FILE, loadConfigFile, loadConfigObject, parseConfig, type LoadedConfig } from '../config/load-config.js';
import { FieldError, InputError } from '../config/config-error.js';
import type { ResolvedPlugin, SlotRef } from '../config/resolve-plugin.js';
import type { SearchConfig, SearchConfigObject } from '../config/schema.js';
import { softmaxCrossEntropy } from '../nn/loss.js';
import { Composition } from '../runtime/composition.js';
import { runtimeSlots } from '../runtime/runtime-stage.js';
import { SearchSession, type SessionSnapshot } from '../session/search-session.js';
import { LATENCY_CALIBRATION_FILE } from '../latency/calibration.js';
import { derivedInfo } from '../strategies/derived-info.js';
import type { CheckedDerive } from '../strategies/strategy.js';
import { readArchitectureFile, type ArchitectureFile } from '../runtime/compose-network.js';
import { ensureGradients } from '../tfjs/runtime.js';
import { bindSearchStage, ResumeSnapshot } from './search-stage.js';

export interface ComposeOptions {
  /**
   * The config: the path of a config file (JSON or YAML), or the config itself as an object (the
   * shape of the file; relative paths in its options resolve against `baseDir`).
   */
  readonly config?: string | SearchConfigObject;
  /** With a config object: the folder that relative paths in plugin options resolve against (default: the working directory). */
  readonly baseDir?: string;
  /** Resume the search in this run directory from its checkpoint (config taken from the run directory). */
  readonly resume?: string;
  /** Exact run directory to write (default: `<output.dir>/<name>-<timestamp>`). */
  readonly runDir?: string;
  /**
   * A new search whose run directory already holds a run (or other files): replace it. Without it
   * such a directory is refused (the message says how to resume instead).
   */
  readonly force?: boolean;
  /**
   * With `resume`: open a finished run too (what `deriveFromRun` needs). Without it resuming a
   * finished run throws `RunFinished` and changes nothing.
   */
  readonly allowFinished?: boolean;
  /** The command the run directory's lock names (default: `proxyless search` / `proxyless search --resume`). */
  readonly lockedBy?: string;
  /** Write no run directory (library use, tests): the built-in `run-directory` plugin is left out. */
  readonly noRunDir?: boolean;
  /** Log sink for human-readable lines. */
  readonly log?: (message: string) => void;
  /** Extra plugins (e.g. the CLI's progress bars). */
  readonly plugins?: readonly import('../session/search-session.js').SearchPlugin[];
  /** Plugin packages given in code (ContainerModules): a config names their plugins by short name, like core's built-ins. */
  readonly modules?: readonly interfaces.ContainerModule[];
}

export interface ComposedSearch {
  readonly session: SearchSession;
  readonly config: SearchConfig;
  readonly runDir?: string;
  /** Present when resuming: the checkpoint to continue from (pass to `session.run`). */
  readonly resume?: SessionSnapshot;
  /**
   * Releases the run directory's lock (idempotent). The session releases it by itself when its run
   * ends (done or failed); call it when the session is not run.
   */
  release(): void;
}

/** `proxyless search --resume` on a run that has its result.json: nothing to do, nothing changed. */
export class RunFinished extends Error {
  constructor(
    readonly runDir: string,
    readonly result: unknown,
  ) {
    super(`${runDir} is a finished run (it has ${RunFiles.result}); nothing to resume and nothing was changed — derive, report or train from it instead`);
    this.name = 'RunFinished';
  }
}

/** Files a run directory holds (what `--force` removes before a new search writes there). */
const RUN_ARTIFACTS = [...Object.values(RunFiles), 'report.html', LATENCY_CALIBRATION_FILE];

/**
 * Refuses a new search's run directory when it is a file, or a folder with anything in it (a run
 * to resume, or someone else's files) unless `force`.
 */
function checkNewRunDir(runDir: string, force: boolean): void {
  if (!existsSync(runDir)) return;
  if (!statSync(runDir).isDirectory()) throw new InputError(`run directory ${runDir} is a file; expected a folder to create (or an empty one)`);
  const entries = readdirSync(runDir).filter((n) => n !== RUN_LOCK_FILE);
  if (entries.length === 0 || force) return;
  if (entries.includes(RunFiles.config)) {
    const finished = entries.includes(RunFiles.result);
    throw new InputError(
      `run directory ${runDir} already holds a ${finished ? 'finished' : 'started'} run; ` +
        (finished ? '' : `continue it with: proxyless search --resume ${runDir}; `) +
        'choose another --out (or output.name), or pass --force to replace it',
    );
  }
  throw new InputError(`run directory ${runDir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); choose another --out (or output.name), or pass --force to write into it`);
}

/** The resolved config written to a run directory: the normalized config plus where relative paths resolve. */
interface StoredConfig extends SearchConfig {
  readonly $source: { readonly file: string; readonly dir: string };
}

/** Every slot of a search config: the runtime stage's, then strategy, latency, trainer and the hook plugins. */
export function searchSlots(c: SearchConfig): SlotRef[] {
  return [
    ...runtimeSlots(c),
    ...(['strategy', 'latency', 'trainer'] as const).map((k): SlotRef => [k, [k], k, c[k]]),
    ...c.plugins.map((ref, i): SlotRef => [`plugins.${i}`, ['plugins', i], 'plugin', ref]),
  ];
}

function compositionOf(loaded: LoadedConfig, extra: { runDir?: string; log?: (m: string) => void; modules?: readonly interfaces.ContainerModule[] } = {}): Composition {
  return new Composition(
    {
      file: loaded.file,
      configDir: loaded.dir,
      raw: loaded.raw,
      seed: loaded.config.seed,
      ...(extra.runDir ? { runDir: extra.runDir } : {}),
      log: extra.log ?? ((m: string) => process.stderr.write(`${m}\n`)),
    },
    [coreModule, ...(extra.modules ?? [])],
  );
}

/** Validates the whole config (every plugin's options and cross-slot `validate` steps) without creating anything. */
export async function validateConfig(loaded: LoadedConfig, modules: readonly interfaces.ContainerModule[] = []): Promise<Map<string, ResolvedPlugin>> {
  return new Map(await compositionOf(loaded, { modules }).resolve(searchSlots(loaded.config)));
}

/** The config of a new search, or the stored config and checkpoint of a run directory to resume. */
function openSearch(opts: ComposeOptions): { loaded: LoadedConfig; runDir?: string; checkpoint?: string } {
  if (!opts.resume) {
    if (opts.config === undefined) throw new Error('composeSearch: give `config` (a file path or a config object) or `resume`');
    return { loaded: typeof opts.config === 'string' ? loadConfigFile(opts.config) : loadConfigObject(opts.config, opts.baseDir) };
  }
  const runDir = resolve(opts.resume);
  const stored = join(runDir, RunFiles.config);
  const checkpoint = join(runDir, RunFiles.checkpoint);
  if (!existsSync(runDir)) throw new InputError(`cannot resume: ${runDir} does not exist`);
  if (!statSync(runDir).isDirectory()) throw new InputError(`cannot resume: ${runDir} is a file; expected a run directory written by \`proxyless search\``);
  if (!existsSync(stored)) throw new InputError(`cannot resume: ${runDir} has no ${RunFiles.config} (is it a run directory?)`);
  if (!existsSync(checkpoint)) throw new Error(`cannot resume: ${runDir} has no ${RunFiles.checkpoint} yet (the search stopped before its first checkpoint); start it again`);
  const result = join(runDir, RunFiles.result);
  if (!opts.allowFinished && existsSync(result)) throw new RunFinished(runDir, readJson(result));
  const raw = readJson(stored) as StoredConfig;
  const { $source, ...rest } = raw;
  return { loaded: { file: stored, dir: $source?.dir ?? runDir, raw: rest, config: parseConfig(rest, stored) }, runDir, checkpoint };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message}); expected the file \`proxyless search\` wrote`);
  }
}

/**
 * config → validated slots (one `ConfigError` for every problem, before anything runs) → one
 * composition (runtime stage + search stage bound in its container) → the `SearchSession`, whose
 * parts the container creates in dependency order.
 */
export async function composeSearch(opts: ComposeOptions): Promise<ComposedSearch> {
  const opened = openSearch(opts);
  const { loaded } = opened;
  const config = loaded.config;
  let runDir = opened.runDir;
  if (!opts.noRunDir && !runDir) {
    runDir = resolve(
      opts.runDir ??
        join(config.output.dir, config.output.name ?? `${loaded.file === CONFIG_OBJECT_FILE ? 'search' : basename(loaded.file, extname(loaded.file))}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    );
  }
  const force = opts.force === true;
  const isNew = !opened.checkpoint;
  // A resumed run, or a new one into an existing folder, is locked at once: a second writer fails
  // before any work, naming the holder (then the folder's content is checked).
  if (runDir && isNew && existsSync(runDir) && !statSync(runDir).isDirectory()) {
    throw new InputError(`run directory ${runDir} is a file; expected a folder to create (or an empty one)`);
  }
  let existed = runDir !== undefined && isNew && existsSync(runDir);
  let lock: RunLock | undefined = runDir && (!isNew || existed) ? lockRunDirectory(runDir, opts.lockedBy ?? (isNew ? 'proxyless search' : 'proxyless search --resume')) : undefined;
  let created = false;
  try {
    if (runDir && existed) checkNewRunDir(runDir, force);
    const composition = compositionOf(loaded, { ...(runDir ? { runDir } : {}), ...(opts.log ? { log: opts.log } : {}), ...(opts.modules ? { modules: opts.modules } : {}) });
    const slots = searchSlots(config);
    if (runDir) {
      const metricsBytes = opened.checkpoint ? (readCheckpointJson(opened.checkpoint) as { metricsBytes?: number } | undefined)?.metricsBytes : undefined;
      slots.push(['run-directory', ['output'], 'plugin', { use: RUN_DIRECTORY_PLUGIN, options: metricsBytes !== undefined ? { resumeMetricsBytes: metricsBytes } : {} }]);
    }
    await composition.resolve(slots);
    await ensureGradients(); // library use: Node's tfjs-core entry registers no gradients (the CLI does this at start)

    bindSearchStage(composition, {
      stored: { ...config, $source: { file: loaded.file, dir: loaded.dir } },
      ...(opts.plugins ? { plugins: opts.plugins } : {}),
      ...(opened.checkpoint ? { checkpoint: opened.checkpoint } : {}),
    });
    const session = await composition.get<SearchSession>(SearchSession);
    const resume = opened.checkpoint ? await composition.get<SessionSnapshot>(ResumeSnapshot) : undefined;
    // Everything checkable from the config, the data and the checkpoint, before the run directory is created.
    session.components.trainer.check?.(session, resume);
    if (runDir && !lock) {
      // A new folder: created (and locked) only now, so a failed start leaves none behind.
      existed = existsSync(runDir);
      mkdirSync(runDir, { recursive: true });
      created = !existed;
      lock = lockRunDirectory(runDir, 'proxyless search');
      checkNewRunDir(runDir, force); // another search may have written there meanwhile
    }
    if (runDir && isNew && force) for (const f of RUN_ARTIFACTS) rmSync(join(runDir, f), { force: true });
    const held = lock;
    const release = () => held?.release();
    if (held) {
      session.hooks.done.tapPromise({ name: 'run-lock', stage: 1000 }, async () => release());
      session.hooks.failed.tapPromise({ name: 'run-lock', stage: 1000 }, async () => release());
    }
    return { session, config, ...(runDir ? { runDir } : {}), ...(resume ? { resume } : {}), release };
  } catch (err) {
    lock?.release();
    if (err instanceof FieldError) err = err.inFile(loaded.file);
    if (created && runDir) {
      try {
        rmdirSync(runDir); // only when still empty: never anything another process wrote
      } catch {
        // not empty: left alone
      }
    }
    throw err;
  }
}

/**
 * Derives the architecture of a (finished or interrupted) run from its last checkpoint and writes
 * `architecture.json` into the run directory. Returns what was written.
 */
export async function deriveFromRun(runDir: string, opts: { log?: (m: string) => void } = {}): Promise<DerivedRecord> {
  const composed = await composeSearch({ resume: runDir, allowFinished: true, lockedBy: 'proxyless derive', ...(opts.log ? { log: opts.log } : {}) });
  const { session } = composed;
  const { network, space, strategy, latency, measureLatency, measureLatencies } = session.components;
  try {
    // The strategy lifecycle: setup, then (on resume) setState.
    await strategy.setup({
      network,
      space,
      ...(latency ? { latency } : {}),
      ...(measureLatency ? { measureLatency } : {}),
      ...(measureLatencies ? { measureLatencies } : {}),
      loss: (l, y) => softmaxCrossEntropy(l, y),
    });
    session.restoreModelState(composed.resume!);
    // The search measured what it derived from this same state: keep its answer, since a second
    // measurement of the same networks can read a few percent apart and pick another one.
    const searched = measuredDeriveOf(join(composed.runDir!, RunFiles.architecture), strategy.probabilities());
    if (searched) {
      opts.log?.(
        `derive: the search already derived and measured this checkpoint (${searched.measuredLatency!.toPrecision(4)} ${latency?.unit ?? ''} against the budget ${searched.budget ?? '–'}); kept. Remove ${RunFiles.architecture} to derive and measure again`,
      );
    }
    const derived = await derivedInfo(strategy, latency, searched);
    await session.hooks.architectureDerived.promise(derived);
    const saved = (composed.resume!.json as { saved?: { epoch: number; batch: number; step: number } }).saved;
    return { ...derived, file: join(composed.runDir!, RunFiles.architecture), ...(saved ? { checkpoint: saved } : {}) };
  } finally {
    tf.dispose(Object.values(composed.resume!.tensors));
    composed.release();
  }
}

/**
 * The run's architecture.json as a checked derive, when the search wrote it from the state
 * `probabilities` describe and measured the network; undefined otherwise (no file, other α, not measured).
 */
function measuredDeriveOf(file: string, probabilities: Record<string, number[]>): CheckedDerive | undefined {
  if (!existsSync(file)) return undefined;
  let a: ArchitectureFile & { probabilities?: Record<string, unknown>; measuredLatency?: unknown; latencyBudget?: unknown };
  try {
    a = readArchitectureFile(file);
  } catch {
    return undefined;
  }
  const labels = Object.keys(probabilities);
  const same =
    a.probabilities !== undefined &&
    labels.length === Object.keys(a.probabilities).length &&
    labels.every((l) => {
      const x = probabilities[l]!;
      const y = a.probabilities![l];
      return Array.isArray(y) && y.length === x.length && x.every((v, i) => Math.abs(v - (y[i] as number)) <= 1e-7) && a.architecture[l] !== undefined;
    });
  if (!same || typeof a.measuredLatency !== 'number') return undefined;
  return { architecture: a.architecture, measuredLatency: a.measuredLatency, ...(typeof a.latencyBudget === 'number' ? { budget: a.latencyBudget } : {}) };
}

export interface DerivedRecord {
  readonly architecture: Record<string, string>;
  readonly probabilities: Record<string, number[]>;
  readonly latency?: number;
  readonly latencyUnit?: string;
  /** The derived network's latency as measured whole, when the strategy checked it (`deriveChecked`). */
  readonly measuredLatency?: number;
  /** The latency budget T the derive held to. */
  readonly latencyBudget?: number;
  /** Path of the architecture.json written. */
  readonly file: string;
  /** Loop position of the checkpoint the architecture was derived from. */
  readonly checkpoint?: { epoch: number; batch: number; step: number };
}
