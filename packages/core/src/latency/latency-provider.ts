import type * as tf from '@tensorflow/tfjs-core';
import type { OpFeatures } from '../spaces/op-features.js';
import type { InputSpec, OpSpec } from '../spaces/search-space.js';
import type { Module } from '../nn/module.js';
import type { Architecture } from '../spaces/architecture.js';
import type { LatencyCalibration } from './calibration.js';

export const LatencyProvider = Symbol.for('proxyless.LatencyProvider');

/**
 * Latency of ops for one named target (`cpu`, `gpu`, `mobile`, `flops`, …), in ms (or in MFLOPs
 * for `flops`; `unit` says which).
 */
export interface LatencyProvider {
  readonly target: string;
  readonly unit: 'ms' | 'mflops' | string;
  /**
   * Called once before a search with every op the space may run (all candidates and fixed layers).
   * Measured providers time them here; table providers check every key is present and throw one
   * error listing all missing keys.
   */
  prepare?(ops: readonly OpSpec[]): Promise<void>;
  /** Latency of one op. A `zero` op must cost 0. */
  latency(op: OpFeatures): number;
  /**
   * Optional: latency of a whole network's forward pass, measured on the active backend (inference
   * mode). Providers that measure implement it; it lets strategies reward the true latency of a
   * sampled architecture rather than a sum over a table.
   */
  measureNetwork?(network: Module, input: InputSpec): Promise<number>;
  /**
   * Optional: latency of the compact network of an architecture, for providers that measure
   * somewhere else (a browser, another device) and rebuild the network there from the architecture.
   * When present, the search uses it instead of `measureNetwork`.
   */
  measureArchitecture?(architecture: Architecture): Promise<number>;
  /**
   * Optional, for providers that measure whole networks: how many networks the search measures
   * whole after `prepare` to calibrate the op table to whole-network latency (see
   * `calibrateLatency`); 0 or absent: the search uses the op sum as it is.
   */
  readonly calibrationNetworks?: number;
  /**
   * Optional, for providers that measure whole networks: a network's latency remembered for this
   * machine, by what it stands for (`role`) and the features of the network's layers
   * (`networkLayers`). The measured provider keeps it with its op table (in its `cacheFile`). A
   * search remembers its reference network's quiet latency here (role `reference`, see
   * `relativeTimer`), so every search, derive and re-timing on the machine prices against one value,
   * and its calibration's networks as their ratio to it (role `network`).
   */
  rememberedNetworkLatency?(role: NetworkLatencyRole, layers: readonly OpFeatures[]): number | undefined;
  rememberNetworkLatency?(role: NetworkLatencyRole, layers: readonly OpFeatures[], latency: number): void;
}

/** What a remembered whole-network figure is: a reference network's quiet latency, or a network's ratio to it. */
export type NetworkLatencyRole = 'reference' | 'network';

/** Expected latency of the network for the current α: Σ over mixed ops of Σ_i p_i·lat_i plus fixed layers. */
export interface ExpectedLatency {
  /** Differentiable in every α. */
  expected(): tf.Scalar;
  /** Latency of one concrete architecture (plain number). */
  ofArchitecture(arch: Readonly<Record<string, string>>): number;
  /** Sum of the fixed (not searched) layers (with a calibration, its per-network offset too). */
  readonly fixed: number;
  /** The whole-network calibration these numbers include, when the search fitted one. */
  readonly calibration?: LatencyCalibration;
  /** Per mixed op label, latency of each candidate in order. */
  readonly table: Readonly<Record<string, readonly number[]>>;
  readonly unit: string;
  readonly target: string;
}
