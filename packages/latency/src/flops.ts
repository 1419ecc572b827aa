import type { LatencyProvider, OpFeatures, OpSpec } from '@proxyless/core';
import { describeOp } from './latency-key.js';

/**
 * Analytic multiply-accumulates (MACs) of one op for a single example, no measurement. Conventions
 * (those of ProxylessNAS's `get_flops`): a k×k conv costs k²·Cin·Cout per output pixel; a depthwise
 * conv k²·C; an MBConv (`expanded_conv`) is a 1×1 expand at the input resolution (absent when the
 * expand ratio is 1), a k×k depthwise conv at the output resolution and a 1×1 project; `Logits`
 * counts its classifier (Cin·classes; pooling is additions, not MACs); pooling, identity and `zero`
 * count 0. Batch norm and activations are folded away (as on a deployed model).
 */
export function opMacs(f: OpFeatures): number {
  const [hi, wi, ci] = f.input;
  const [ho, wo, co] = f.output;
  const outPixels = ho * wo;
  const k = f.kernel;
  switch (f.type) {
    case 'zero':
    case 'identity':
    case 'pool':
    case 'avg_pool':
    case 'max_pool':
      return 0;
    case 'Conv':
      return (k ?? 3) ** 2 * ci * co * outPixels;
    case 'Conv_1':
      return (k ?? 1) ** 2 * ci * co * outPixels;
    case 'conv': {
      // A grouped conv (extra.groups, e.g. the tree-cell root edge) connects each output to ci/groups inputs.
      const groups = Number(f.extra?.['groups'] ?? 1);
      if (!Number.isInteger(groups) || groups < 1 || ci % groups !== 0) throw new Error(`flops: ${describeOp(f)} has groups ${String(f.extra?.['groups'])}; expected a positive integer dividing the ${ci} input channels`);
      return ((k ?? 1) ** 2 * ci * co * outPixels) / groups;
    }
    case 'dw_conv':
    case 'depthwise':
      return (k ?? 3) ** 2 * ci * outPixels;
    case 'sep_conv':
    case 'dil_conv':
      return (k ?? 3) ** 2 * ci * outPixels + ci * co * outPixels;
    case 'expanded_conv': {
      if (f.expand === undefined || k === undefined) throw new Error(`flops: ${describeOp(f)} lacks expand or kernel`);
      const mid = Math.round(ci * f.expand);
      const expand = f.expand === 1 ? 0 : hi * wi * ci * mid;
      return expand + k * k * mid * outPixels + mid * co * outPixels;
    }
    case 'Logits':
    case 'linear':
    case 'dense':
      return ci * co;
    default:
      throw new Error(`flops: no MAC formula for op type ${JSON.stringify(f.type)}`);
  }
}

/** MACs in millions (the `mflops` unit of the `flops` target). */
export function opMflops(f: OpFeatures): number {
  return opMacs(f) / 1e6;
}

/** The `flops` target: analytic MACs of every candidate (unit `mflops`), identical on every machine. */
export class FlopsLatencyProvider implements LatencyProvider {
  readonly target = 'flops';
  readonly unit = 'mflops';

  async prepare(ops: readonly OpSpec[]): Promise<void> {
    const unknown = new Set<string>();
    for (const op of ops) {
      try {
        opMacs(op.features);
      } catch {
        unknown.add(`${op.name} (${op.features.type})`);
      }
    }
    if (unknown.size) throw new Error(`flops: no MAC formula for ${unknown.size} op(s): ${[...unknown].join(', ')}`);
  }

  latency(op: OpFeatures): number {
    return opMflops(op);
  }
}
