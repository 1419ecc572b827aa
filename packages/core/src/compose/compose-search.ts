import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { loadCheckpoint, type CheckpointData } from '../artifacts/checkpoint.js';
import { RunDirectoryPlugin, RunFiles } from '../artifacts/run-directory-plugin.js';
import { Backend } from '../backend/backend.js';
import { coreModule } from '../builtin-plugins.js';
import { loadConfigFile, parseConfig, type LoadedConfig } from '../config/load-config.js';
import { descriptorsOf, pluginCreator, resolveSlots, type ResolvedPlugin, type SlotRef } from '../config/resolve-plugin.js';
import type { SearchConfig } from '../config/schema.js';
import { DataProvider } from '../data/dataset.js';
import { createExpectedLatency } from '../latency/expected-latency.js';
import { LatencyProvider, type ExpectedLatency } from '../latency/latency-provider.js';
import { Rng } from '../random/rng.js';
import type { Architecture } from '../spaces/architecture.js';
import { SearchPlugin, SearchSession, type SessionSnapshot } from '../session/search-session.js';
import { SearchSpace } from '../spaces/search-space.js';
import { ArchitectureStrategy } from '../strategies/strategy.js';
import { Trainer } from '../training/trainer.js';
import { softmaxCrossEntropy } from '../nn/loss.js';

export interface ComposeOptions {
  /** Path of the config file (JSON or YAML). */
  readonly config?: string;
  /** Resume the search in this run directory from its checkpoint (config taken from the run directory). */
  readonly resume?: string;
  /** Exact run directory to write (default: `<output.dir>/<name>-<timestamp>`). */
  readonly runDir?: string;
  /** Write no run directory (library use, tests). */
  readonly noRunDir?: boolean;
  /** Log sink for human-readable lines. */
  readonly log?: (message: string) => void;
  /** Extra plugins (e.g. the CLI's progress bars). */
  readonly plugins?: readonly import('../session/search-session.js').SearchPlugin[];
}

export interface ComposedSearch {
  readonly session: SearchSession;
  readonly config: SearchConfig;
  readonly runDir?: string;
  /** Present when resuming: the checkpoint to continue from (pass to `session.run`). */
  readonly resume?: SessionSnapshot;
  /** The inversify container holding the composed components. */
  readonly container: Container;
}

/** The resolved config written to a run directory: the normalized config plus where relative paths resolve. */
interface StoredConfig extends SearchConfig {
  readonly $source: { readonly file: string; readonly dir: string };
}

/** Validates the whole config (every plugin's options included) without running anything. */
export async function validateConfig(loaded: LoadedConfig): Promise<Map<string, ResolvedPlugin>> {
  const builtins = descriptorsOf(coreModule);
  const ctx = { file: loaded.file, configDir: loaded.dir, raw: loaded.raw, builtins };
  const c = loaded.config;
  return resolveSlots(
    [
      ...(['backend', 'data', 'space', 'strategy', 'latency', 'trainer'] as const).map((k): SlotRef => [k, [k], k, c[k]]),
      ...c.plugins.map((ref, i): SlotRef => [`plugins.${i}`, ['plugins', i], 'plugin', ref]),
    ],
    ctx,
  );
}

/**
 * config → validated options → inversify container → SearchSession (with its hooks and plugins).
 * Every plugin's options are validated before anything is created, so a bad config fails before
 * any training.
 */
export async function composeSearch(opts: ComposeOptions): Promise<ComposedSearch> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  let loaded: LoadedConfig;
  let runDir: string | undefined;
  let checkpoint: CheckpointData | undefined;
  let checkpointPath: string | undefined;
  if (opts.resume) {
    runDir = resolve(opts.resume);
    const stored = join(runDir, RunFiles.config);
    const ckpt = join(runDir, RunFiles.checkpoint);
    if (!existsSync(stored)) throw new Error(`cannot resume: ${runDir} has no ${RunFiles.config} (is it a run directory?)`);
    if (!existsSync(ckpt)) throw new Error(`cannot resume: ${runDir} has no ${RunFiles.checkpoint} yet (the search stopped before its first checkpoint); start it again`);
    const raw = JSON.parse(readFileSync(stored, 'utf8')) as StoredConfig;
    const { $source, ...rest } = raw;
    loaded = { file: stored, dir: $source?.dir ?? runDir, raw: rest, config: parseConfig(rest, stored) };
    checkpointPath = ckpt;
  } else {
    if (!opts.config) throw new Error('composeSearch: give `config` or `resume`');
    loaded = loadConfigFile(opts.config);
  }
  const resolved = await validateConfig(loaded);
  const config = loaded.config;
  if (!opts.noRunDir && !runDir) {
    runDir = resolve(
      opts.runDir ??
        join(config.output.dir, config.output.name ?? `${basename(loaded.file, extname(loaded.file))}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    );
  }
  if (runDir) mkdirSync(runDir, { recursive: true });

  const rng = new Rng(config.seed);
  const create = pluginCreator(resolved, { rng, configDir: loaded.dir, ...(runDir ? { runDir } : {}), log });

  const container = new Container({ defaultScope: 'Singleton' });
  // Components are created in dependency order: the backend first (no tensor may exist before it),
  // then data (its shape tells the space its input), the space and its supernet, the strategy,
  // latency (priced over the space's ops), the trainer and the hook plugins.
  const backend = await create<Backend>('backend');
  await backend.init();
  log(`backend: ${backend.name} on ${backend.describe().device}`);
  container.bind<Backend>(Backend).toConstantValue(backend);
  // Tensors (the checkpoint's too) can only exist once a backend is active.
  if (checkpointPath) checkpoint = loadCheckpoint(checkpointPath);

  const data = await create<DataProvider>('data');
  const dataset = await data.load();
  container.bind<DataProvider>(DataProvider).toConstantValue(data);

  const space = await create<SearchSpace>('space', { input: dataset.input });
  container.bind<SearchSpace>(SearchSpace).toConstantValue(space);
  const network = space.buildSupernet(rng.fork('supernet-init'));

  const strategy = await create<ArchitectureStrategy>('strategy');
  container.bind<ArchitectureStrategy>(ArchitectureStrategy).toConstantValue(strategy);

  let latency: ExpectedLatency | undefined;
  let measureLatency: ((a: Architecture) => Promise<number>) | undefined;
  if (resolved.has('latency')) {
    const provider = await create<LatencyProvider>('latency');
    await provider.prepare?.([...space.describe().flatMap((m) => m.candidates), ...network.fixedOps]);
    container.bind<LatencyProvider>(LatencyProvider).toConstantValue(provider);
    latency = createExpectedLatency(network, provider);
    if (provider.measureNetwork) {
      const measureRng = rng.fork('measure-latency');
      measureLatency = async (architecture) => {
        const compact = space.buildCompact(architecture, measureRng);
        try {
          return await provider.measureNetwork!(compact, space.input);
        } finally {
          for (const v of compact.variables()) v.variable.dispose();
        }
      };
    }
  }
  const trainer = await create<Trainer>('trainer');
  container.bind<Trainer>(Trainer).toConstantValue(trainer);

  for (const [key] of resolved) {
    if (key.startsWith('plugins.')) container.bind<SearchPlugin>(SearchPlugin).toConstantValue(await create<SearchPlugin>(key));
  }
  if (runDir) {
    const metricsBytes = (checkpoint?.json as { metricsBytes?: number } | undefined)?.metricsBytes;
    container.bind<SearchPlugin>(SearchPlugin).toConstantValue(new RunDirectoryPlugin({ dir: runDir, ...(metricsBytes !== undefined ? { resumeMetricsBytes: metricsBytes } : {}) }));
  }
  for (const p of opts.plugins ?? []) container.bind<SearchPlugin>(SearchPlugin).toConstantValue(p);

  const stored: StoredConfig = { ...config, $source: { file: loaded.file, dir: loaded.dir } };
  container.bind(SearchSession).toDynamicValue(
    (c) =>
      new SearchSession({
        seed: config.seed,
        rng,
        backend: c.container.get<Backend>(Backend),
        dataset,
        space: c.container.get<SearchSpace>(SearchSpace),
        network,
        strategy: c.container.get<ArchitectureStrategy>(ArchitectureStrategy),
        trainer: c.container.get<Trainer>(Trainer),
        ...(latency ? { latency } : {}),
        ...(measureLatency ? { measureLatency } : {}),
        plugins: c.container.isBound(SearchPlugin) ? c.container.getAll<SearchPlugin>(SearchPlugin) : [],
        ...(runDir ? { runDir } : {}),
        config: stored,
      }),
  );
  const session = container.get(SearchSession);
  const resume = checkpoint ? { json: checkpoint.json as SessionSnapshot['json'], tensors: checkpoint.tensors as Record<string, tf.Tensor> } : undefined;
  return { session, config, container, ...(runDir ? { runDir } : {}), ...(resume ? { resume } : {}) };
}

/**
 * Derives the architecture of a (finished or interrupted) run from its last checkpoint and writes
 * `architecture.json` into the run directory. Returns what was written.
 */
export async function deriveFromRun(runDir: string, opts: { log?: (m: string) => void } = {}): Promise<DerivedRecord> {
  const composed = await composeSearch({ resume: runDir, ...(opts.log ? { log: opts.log } : {}) });
  const { session } = composed;
  const { network, space, strategy, latency, measureLatency } = session.components;
  try {
    session.restoreModelState(composed.resume!);
    await strategy.setup({
      network,
      space,
      ...(latency ? { latency } : {}),
      ...(measureLatency ? { measureLatency } : {}),
      loss: (l, y) => softmaxCrossEntropy(l, y),
    });
    const architecture = strategy.derive();
    const derived = {
      architecture,
      probabilities: strategy.probabilities(),
      ...(latency ? { latency: latency.ofArchitecture(architecture), latencyUnit: latency.unit } : {}),
    };
    await session.hooks.architectureDerived.promise(derived);
    const saved = (composed.resume!.json as { saved?: { epoch: number; batch: number; step: number } }).saved;
    return { ...derived, file: join(composed.runDir!, RunFiles.architecture), ...(saved ? { checkpoint: saved } : {}) };
  } finally {
    tf.dispose(Object.values(composed.resume!.tensors));
  }
}

export interface DerivedRecord {
  readonly architecture: Record<string, string>;
  readonly probabilities: Record<string, number[]>;
  readonly latency?: number;
  readonly latencyUnit?: string;
  /** Path of the architecture.json written. */
  readonly file: string;
  /** Loop position of the checkpoint the architecture was derived from. */
  readonly checkpoint?: { epoch: number; batch: number; step: number };
}
