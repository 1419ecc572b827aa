import { AsyncSeriesHook, SyncWaterfallHook } from 'tapable';
import type { GateSample } from '../nn/gates.js';
import type { StrategyMetrics } from '../strategies/strategy.js';
import type { Architecture } from '../spaces/architecture.js';

/** Where the loop is. `step` counts weight steps over the whole search. */
export interface StepInfo {
  readonly epoch: number;
  readonly batch: number;
  readonly batchesPerEpoch: number;
  readonly step: number;
  readonly phase: 'warmup' | 'search';
}

export interface EpochStart {
  readonly epoch: number;
  readonly epochs: number;
  readonly batchesPerEpoch: number;
  readonly lr: number;
  readonly phase: 'warmup' | 'search';
  /** First batch index run in this epoch (non-zero after a mid-epoch resume). */
  readonly startBatch: number;
}

export interface WeightStepInfo extends StepInfo {
  readonly loss: number;
  /** Training accuracy of this batch, under the sampled gates. */
  readonly accuracy: number;
  readonly lr: number;
  readonly gates: GateSample;
}

export interface ArchStepInfo extends StepInfo {
  readonly metrics: StrategyMetrics;
  readonly probabilities: Record<string, number[]>;
  /** E[lat] under the current α (provider units), when a latency provider is configured. */
  readonly expectedLatency?: number;
}

export interface EpochSummary {
  readonly epoch: number;
  readonly epochs: number;
  readonly phase: 'warmup' | 'search';
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  /** Loss and accuracy of the current argmax architecture on the validation split. */
  readonly validationLoss: number;
  readonly validationAccuracy: number;
  readonly probabilities: Record<string, number[]>;
  readonly expectedLatency?: number;
  readonly architecture: Architecture;
  readonly seconds: number;
}

export interface DerivedInfo {
  readonly architecture: Architecture;
  readonly probabilities: Record<string, number[]>;
  /** Latency of the derived architecture from the configured provider. */
  readonly latency?: number;
  readonly latencyUnit?: string;
  /** Its compact network's latency as measured whole, when the strategy checked it (`deriveChecked`). */
  readonly measuredLatency?: number;
  /** The latency budget T the derive held to, when the strategy has one. */
  readonly latencyBudget?: number;
}

export interface SearchResult extends DerivedInfo {
  readonly epochs: number;
  readonly steps: number;
  readonly seconds: number;
  readonly validationAccuracy?: number;
}

/** A request to persist the search state; taps decide where (the run directory plugin writes it). */
export interface CheckpointRequest {
  readonly reason: 'interval' | 'epoch' | 'signal' | 'final';
  readonly epoch: number;
  /** Next batch to run within `epoch`. */
  readonly batch: number;
  readonly step: number;
}

/** The hooks of a search, created once and frozen (webpack `Compiler.hooks` style). */
export function createSearchHooks() {
  return Object.freeze({
    /** Before anything runs: plugins open files, start progress bars. */
    beforeSearch: new AsyncSeriesHook<[StartInfo]>(['start']),
    beforeEpoch: new AsyncSeriesHook<[EpochStart]>(['epoch']),
    /** Waterfall over the strategy's gate sample for a weight step; a tap may replace it. */
    sampleGates: new SyncWaterfallHook<[GateSample, StepInfo]>(['gates', 'step']),
    afterWeightStep: new AsyncSeriesHook<[WeightStepInfo]>(['info']),
    afterArchStep: new AsyncSeriesHook<[ArchStepInfo]>(['info']),
    afterEpoch: new AsyncSeriesHook<[EpochSummary]>(['summary']),
    /** The trainer asks for a checkpoint; the state is read through the session. */
    checkpoint: new AsyncSeriesHook<[CheckpointRequest]>(['request']),
    architectureDerived: new AsyncSeriesHook<[DerivedInfo]>(['derived']),
    done: new AsyncSeriesHook<[SearchResult]>(['result']),
    failed: new AsyncSeriesHook<[Error]>(['error']),
  });
}

export interface StartInfo {
  readonly epochs: number;
  readonly batchesPerEpoch: number;
  /** Threads the weight and arch steps run on (data-parallel when more than 1). */
  readonly workers?: number;
  readonly resumedFrom?: { readonly epoch: number; readonly batch: number; readonly step: number };
}

export type SearchHooks = ReturnType<typeof createSearchHooks>;
