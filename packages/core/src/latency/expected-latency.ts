import * as tf from '@tensorflow/tfjs-core';
import type { Network } from '../spaces/search-space.js';
import type { LatencyCalibration } from './calibration.js';
import type { ExpectedLatency, LatencyProvider } from './latency-provider.js';

/**
 * E[lat] of a network under a provider: Σ over mixed ops of Σ_i p_i·lat_i, plus the fixed layers
 * (paper Eq. 5–6). Latencies are looked up once; `expected()` is differentiable in every α.
 * With a calibration (fitted on whole networks, see `calibrateLatency`), every non-zero op costs
 * scale·lat + perLayer and the network `offset` more, which is what whole networks measure.
 */
export function createExpectedLatency(network: Network, provider: LatencyProvider, calibration?: LatencyCalibration): ExpectedLatency {
  const price = (lat: number) => (calibration ? Math.max(0, calibration.scale * lat + calibration.perLayer) : lat);
  const table: Record<string, number[]> = {};
  for (const op of network.mixedOps) {
    table[op.label] = op.candidates.map((c) => (c.isZero ? 0 : price(provider.latency(c.features))));
  }
  const fixed = network.fixedOps.reduce((s, op) => s + (op.features.type === 'zero' ? 0 : price(provider.latency(op.features))), 0) + (calibration?.offset ?? 0);
  return {
    target: provider.target,
    unit: provider.unit,
    fixed,
    table,
    ...(calibration ? { calibration } : {}),
    expected(): tf.Scalar {
      return tf.tidy(() => {
        let total: tf.Scalar = tf.scalar(fixed);
        for (const op of network.mixedOps) {
          total = tf.add(total, tf.sum(tf.mul(op.probs(), tf.tensor1d(table[op.label]!)))) as tf.Scalar;
        }
        return total;
      });
    },
    ofArchitecture(arch): number {
      let total = fixed;
      for (const op of network.mixedOps) {
        const name = arch[op.label];
        if (name === undefined) throw new Error(`architecture has no choice for mixed op ${op.label}`);
        total += table[op.label]![op.indexOf(name)]!;
      }
      return total;
    },
  };
}
