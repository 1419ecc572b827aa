import * as tf from '@tensorflow/tfjs-core';
import { binaryConnectGradient as eq4, sampleTwoPaths } from '@proxyless/strategy-binaryconnect';
import { toGateTensors, type ArchStepInput, type GateAssignment, type GateSample, type MixedOp, type Network, type Rng } from '@proxyless/core';

/**
 * A minimal BinaryConnect gradient of the loss with respect to α (paper Eq. 4), for combined mode:
 *
 *     ∂L/∂α_i = Σ_j ∂L/∂g_j · p_j · (δ_ij − p_i)
 *
 * with ∂L/∂g_j = Σ(∇_y L ∘ o_j(x)) from one forward/backward pass through the binarized supernet.
 * - `two` (the paper's memory-saving mode): per mixed op, two paths are drawn from p without
 *   replacement, both run, the gate is one-hot at one of them (drawn from p renormalized over the
 *   two), and p in the formula is softmax over the two α (the others get no gradient).
 * - `all`: one path drawn from p runs; every other path's ∂L/∂g_j is recomputed in the backward pass
 *   (`gateGradients: 'recompute'`), and the formula uses the full p.
 * Returns the descent gradient per label (plain numbers) and the loss.
 */
export function binaryConnectGradient(
  network: Network,
  input: Pick<ArchStepInput, 'batch' | 'forward'>,
  loss: (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar,
  probs: Readonly<Record<string, readonly number[]>>,
  rng: Rng,
  mode: 'two' | 'all',
): { gradient: Record<string, number[]>; loss: number } {
  const ops = network.mixedOps;
  const sample = mode === 'two' ? samplePairs(ops, probs, rng) : sampleOnePath(ops, probs, rng);
  const gates = toGateTensors(ops, sample);
  try {
    const labels = ops.map((op) => op.label);
    const f = (...values: tf.Tensor[]): tf.Scalar => {
      const g: GateAssignment = Object.fromEntries(labels.map((l, i) => [l, { active: sample[l]!.active, values: values[i] as tf.Tensor1D }]));
      const logits = network.apply(input.batch.x, {
        training: input.forward.training,
        mode: 'binarized',
        gates: g,
        ...(mode === 'all' ? { gateGradients: 'recompute' as const } : {}),
      });
      return loss(logits, input.batch.y);
    };
    const { value, grads } = tf.valueAndGrads(f)(labels.map((l) => gates[l]!.values));
    const dL = grads.map((g) => Array.from(g.dataSync()));
    const lossValue = value.dataSync()[0]!;
    tf.dispose([value, ...grads]);
    const gradient: Record<string, number[]> = {};
    ops.forEach((op, o) => {
      const p = probs[op.label]!;
      // Eq. 4 over the paths that enter it: the sampled pair (softmax over their α) or all paths.
      // log p differs from α by a constant per op, so it gives the same softmax as α.
      const logits = p.map((v) => Math.log(Math.max(v, Number.MIN_VALUE)));
      const paths = mode === 'two' ? [...sample[op.label]!.active] : p.map((_, i) => i);
      gradient[op.label] = Array.from(eq4(logits, dL[o]!, paths));
    });
    return { gradient, loss: lossValue };
  } finally {
    for (const g of Object.values(gates)) g.values.dispose();
  }
}

function sampleOnePath(ops: readonly MixedOp[], probs: Readonly<Record<string, readonly number[]>>, rng: Rng): GateSample {
  const out: Record<string, { active: number[]; chosen: number }> = {};
  for (const op of ops) {
    const j = rng.categorical(probs[op.label]!);
    out[op.label] = { active: [j], chosen: j };
  }
  return out;
}

/** Two distinct paths per op drawn from p without replacement, the active one by p over the two (binaryconnect's sampler). */
function samplePairs(ops: readonly MixedOp[], probs: Readonly<Record<string, readonly number[]>>, rng: Rng): GateSample {
  const out: Record<string, { active: number[]; chosen: number }> = {};
  for (const op of ops) {
    const p = probs[op.label]!;
    if (op.size < 2) {
      const a = rng.categorical(p);
      out[op.label] = { active: [a], chosen: a };
      continue;
    }
    const { pair, active } = sampleTwoPaths(p.map((v) => Math.log(Math.max(v, Number.MIN_VALUE))), rng);
    out[op.label] = { active: [...pair].sort((x, y) => x - y), chosen: active };
  }
  return out;
}
