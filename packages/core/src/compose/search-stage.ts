import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint } from '../artifacts/checkpoint.js';
import { Backend } from '../backend/backend.js';
import type { SearchConfig } from '../config/schema.js';
import type { Dataset } from '../data/dataset.js';
import { join } from 'node:path';
import { calibrateLatency, fastestArchitecture, LATENCY_CALIBRATION_FILE, networkLayers, readStoredCalibration, type LatencyCalibration } from '../latency/calibration.js';
import { relativeTimer, type RelativeTimer } from '../latency/relative-timing.js';
import { createExpectedLatency } from '../latency/expected-latency.js';
import { LatencyProvider, type ExpectedLatency } from '../latency/latency-provider.js';
import type { Composition } from '../runtime/composition.js';
import { Rng } from '../random/rng.js';
import { bindRuntimeStage } from '../runtime/runtime-stage.js';
import { Input, LoadedDataset } from '../runtime/tokens.js';
import { SearchPlugin, SearchSession, Trainer, type SessionSnapshot } from '../session/search-session.js';
import type { Architecture } from '../spaces/architecture.js';
import { SearchSpace, type InputSpec, type Network } from '../spaces/search-space.js';
import { ArchitectureStrategy, type MeasureLatencies } from '../strategies/strategy.js';

/** The over-parameterized network of the space (`space.buildSupernet(rng.fork('supernet-init'))`). */
export const Supernet = Symbol.for('proxyless.part.Supernet');
/** E[lat] over the supernet and, when the provider measures, a measurement of one architecture. */
export const LatencyModel = Symbol.for('proxyless.part.LatencyModel');
export interface LatencyModel {
  readonly latency?: ExpectedLatency;
  readonly measureLatency?: (architecture: Architecture) => Promise<number>;
  /** Measurements of several architectures against a reference network (`relativeTimer`), robust to phases of load. */
  readonly measureLatencies?: MeasureLatencies;
}
/** The checkpoint a resumed search continues from (loaded once the backend is active). */
export const ResumeSnapshot = Symbol.for('proxyless.part.ResumeSnapshot');

/** What the search stage needs besides the resolved slots. */
export interface SearchStageInputs {
  /** The resolved config as the run directory stores it. */
  readonly stored: SearchConfig & { readonly $source: { readonly file: string; readonly dir: string } };
  /** Hook plugins given in code (e.g. the CLI's progress bars), after the config's and the run directory's. */
  readonly plugins?: readonly SearchPlugin[];
  /** The checkpoint to resume from. */
  readonly checkpoint?: string;
}

/**
 * The search stage on top of the runtime stage: supernet, strategy, latency, trainer and hook
 * plugins (every `plugin` slot is a contribution to the `SearchPlugin` multi-binding, the run
 * directory included), and the session that receives them. A new part is one more binding here.
 */
export function bindSearchStage(c: Composition, inputs: SearchStageInputs): void {
  bindRuntimeStage(c);
  c.bindDerived<Network>(Supernet, async (get) => (await get<SearchSpace>(SearchSpace)).buildSupernet(c.rng.fork('supernet-init')));
  c.bindPart<ArchitectureStrategy>(ArchitectureStrategy, 'strategy', { after: [Backend] });
  // A latency provider gets the input too (one that measures elsewhere rebuilds the space there).
  if (c.has('latency')) c.bindPart<LatencyProvider>(LatencyProvider, 'latency', { after: [Backend], context: async (get) => ({ input: await get<InputSpec>(Input) }) });
  c.bindDerived<LatencyModel>(LatencyModel, async (get) => {
    if (!c.has('latency')) return {};
    const provider = await get<LatencyProvider>(LatencyProvider);
    const space = await get<SearchSpace>(SearchSpace);
    const network = await get<Network>(Supernet);
    await provider.prepare?.([...space.describe().flatMap((m) => m.candidates), ...network.fixedOps]);
    let measureLatency: ((architecture: Architecture) => Promise<number>) | undefined;
    if (provider.measureArchitecture) measureLatency = (architecture: Architecture) => provider.measureArchitecture!(architecture);
    else if (provider.measureNetwork) {
      const measureRng = c.rng.fork('measure-latency');
      measureLatency = async (architecture: Architecture) => {
        const compact = space.buildCompact(architecture, measureRng);
        try {
          return await provider.measureNetwork!(compact, space.input);
        } finally {
          for (const v of compact.variables()) v.variable.dispose();
        }
      };
    }
    // A provider that measures whole networks calibrates its op table to them, so E[lat], the
    // budget and the derive predict what the derived network measures. A resumed run (and
    // `proxyless derive`) reuses the calibration its search stored (the run directory plugin
    // writes it): the same prices as before.
    const networks = provider.calibrationNetworks ?? 0;
    // one reference network (the fastest by the op table) for every measurement of this search:
    // the calibration's and the strategy's share what is known of the machine's quiet phase
    const file = c.source.runDir ? join(c.source.runDir, LATENCY_CALIBRATION_FILE) : undefined;
    const stored = measureLatency && networks > 0 && inputs.checkpoint && file ? readStoredCalibration(file, provider.target, provider.unit) : undefined;
    const reference = stored?.reference?.architecture ?? fastestArchitecture(network, provider);
    // Its quiet latency is pinned: the resumed run's own, else the one this machine remembers (the
    // provider's cache), else the least timing of the first measurement (the calibration's), which
    // the machine then remembers. Searches on one machine then differ only by the ratios they measure.
    // The machine's value only ever comes down: a search whose reference timings went lower (the
    // first one may have run under load) lowers it for the next searches, not for itself.
    let timer: RelativeTimer<Architecture> | undefined;
    const layers = networkLayers(network, reference);
    /** After every measurement: pin the timer (the first time) or lower the machine's value. */
    const settleReference = () => {
      if (!timer || timer.referenceTimings.length === 0) return;
      const remember = provider.rememberNetworkLatency?.bind(provider);
      if (!timer.pinned) {
        const latency = timer.pin();
        remember?.('reference', layers, latency);
        c.source.log(`latency: the reference network's quiet latency on this machine: ${latency.toFixed(4)} ${provider.unit}${remember ? ', remembered for the next searches' : ''}`);
        return;
      }
      const before = provider.rememberedNetworkLatency?.('reference', layers);
      const least = Math.min(...timer.referenceTimings);
      if (before === undefined || !(least < before) || !remember) return;
      remember('reference', layers, least);
      // every drop is remembered; only one that matters (over 1%) is worth a line of the log
      if (least < before * 0.99) c.source.log(`latency: the reference network timed ${least.toFixed(4)} ${provider.unit}, below the ${before.toFixed(4)} ${provider.unit} this machine remembered: remembered for the next searches (this one keeps ${timer.referenceLatency.toFixed(4)} ${provider.unit})`);
    };
    if (measureLatency) {
      const remembered = stored?.reference ? undefined : provider.rememberedNetworkLatency?.('reference', layers);
      const known = stored?.reference?.latency ?? remembered;
      if (remembered !== undefined) c.source.log(`latency: the reference network's quiet latency on this machine, remembered: ${remembered.toFixed(4)} ${provider.unit} (every whole network is priced by its ratio to it)`);
      timer = relativeTimer(measureLatency, reference, known !== undefined ? { referenceLatency: known, pinned: true } : {});
    }
    let calibration: LatencyCalibration | undefined;
    if (measureLatency && networks > 0) {
      calibration = stored;
      if (calibration) c.source.log(`latency calibration: the run's own (${file}): measured ≈ ${calibration.scale.toFixed(3)}·Σops + ${calibration.perLayer.toFixed(4)}·layers + ${calibration.offset.toFixed(4)} ${provider.unit}`);
      else {
        // the same networks for every search on the machine (not drawn from the search's seed), so
        // a machine that measured them once fits every later search's calibration from memory
        calibration = await calibrateLatency(network, provider, measureLatency, { networks, rng: new Rng('latency-calibration'), timer: timer!, log: c.source.log });
        settleReference();
      }
    }
    const latency = createExpectedLatency(network, provider, calibration);
    const measureLatencies: MeasureLatencies | undefined = timer
      ? async (architectures, rounds) => {
          const latencies = await timer.measure(architectures, rounds);
          settleReference();
          return latencies;
        }
      : undefined;
    return { latency, ...(measureLatency ? { measureLatency } : {}), ...(measureLatencies ? { measureLatencies } : {}) };
  });
  c.bindPart<Trainer>(Trainer, 'trainer', { after: [Backend] });
  for (const key of c.keys()) if (key.startsWith('plugins.')) c.bindPart<SearchPlugin>(SearchPlugin, key, { after: [Backend] });
  if (c.has('run-directory')) c.bindPart<SearchPlugin>(SearchPlugin, 'run-directory');
  for (const p of inputs.plugins ?? []) c.bindDerived<SearchPlugin>(SearchPlugin, async () => p);
  if (inputs.checkpoint) {
    const path = inputs.checkpoint;
    c.bindDerived<SessionSnapshot>(ResumeSnapshot, async (get) => {
      await get(Backend); // tensors (the checkpoint's too) can only exist once a backend is active
      const ckpt = loadCheckpoint(path);
      return { json: ckpt.json as SessionSnapshot['json'], tensors: ckpt.tensors as Record<string, tf.Tensor>, file: path };
    });
  }
  c.bindDerived<SearchSession>(SearchSession, async (get) => {
    // Created in dependency order: backend, (checkpoint), data, space and supernet, strategy, latency, trainer, plugins.
    const backend = await get<Backend>(Backend);
    if (inputs.checkpoint) await get(ResumeSnapshot);
    const dataset = await get<Dataset>(LoadedDataset);
    const space = await get<SearchSpace>(SearchSpace);
    const network = await get<Network>(Supernet);
    const strategy = await get<ArchitectureStrategy>(ArchitectureStrategy);
    const { latency, measureLatency, measureLatencies } = await get<LatencyModel>(LatencyModel);
    const trainer = await get<Trainer>(Trainer);
    const plugins = await c.getAll<SearchPlugin>(SearchPlugin);
    const { runDir } = c.source;
    return new SearchSession({
      seed: c.source.seed,
      rng: c.rng,
      backend,
      dataset,
      space,
      network,
      strategy,
      trainer,
      ...(latency ? { latency } : {}),
      ...(measureLatency ? { measureLatency } : {}),
      ...(measureLatencies ? { measureLatencies } : {}),
      plugins,
      ...(runDir ? { runDir } : {}),
      config: inputs.stored,
    });
  });
}
