import type * as tf from '@tensorflow/tfjs-core';
import { binaryConnectGradient, gateGradients, sampleArchPaths, type ArchStepInput, type Network, type Rng } from '@proxyless/core';

/**
 * The loss gradient of combined mode: core's BinaryConnect estimator (paper Eq. 4) applied to the
 * gate gradients of one forward/backward pass, as a descent direction per label.
 * - `two` (the paper's memory-saving mode): per mixed op, two paths drawn from p without
 *   replacement both run, the gate is one-hot at one of them, and Eq. 4 uses softmax over the two α.
 * - `all`: one path drawn from p runs; every other path's ∂L/∂g_j is recomputed in the backward pass
 *   (`gateGradients: 'recompute'`), and Eq. 4 uses the full p.
 * The paths are drawn from `rng` with core's `sampleArchPaths`; the gate gradients come from
 * `input.compute` when the trainer offers it.
 */
export async function combinedLossGradient(
  network: Network,
  input: Pick<ArchStepInput, 'batch' | 'forward' | 'compute'>,
  loss: (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar,
  rng: Rng,
  paths: 'two' | 'all',
): Promise<{ gradient: Record<string, number[]>; loss: number }> {
  const ops = network.mixedOps;
  const sample = sampleArchPaths(ops, paths === 'two' ? 'two' : 'exact', rng);
  const recompute = paths === 'all';
  // through the trainer (data-parallel over its workers) when it offers it
  const g = input.compute ? await input.compute.gateGradients(sample, { recompute }) : gateGradients(network, input.batch, sample, { forward: input.forward, loss, recompute });
  const gradient = Object.fromEntries(ops.map((op) => [op.label, Array.from(binaryConnectGradient(op.alpha.dataSync(), g.gates[op.label]!, sample[op.label]!.paths))]));
  return { gradient, loss: g.loss };
}
