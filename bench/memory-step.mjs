// The training-step memory/time measurement shared by the space benchmarks
// (space-mbconv-memory.mjs, space-tree-cell-memory.mjs): for each mode — the compact network of an
// architecture, the binarized supernet with that architecture's paths, the weighted (DARTS-style)
// supernet — one step = forward (training mode) + softmax cross-entropy + backward + plain SGD update
// of the weights that received gradients (α not updated). Memory: tf.profile peakBytes of one step,
// and peak minus the bytes resident before it (what the step itself allocates).
import * as tf from '@tensorflow/tfjs-core';
import { disposeGates, gatesForArchitecture, softmaxCrossEntropy, toGateTensors } from '@proxyless/core';
import { fmt } from './common.mjs';

export const MB = (b) => (b / 2 ** 20).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function makeStep(net, mode, arch, x, y, lr) {
  const alpha = new Set(net.mixedOps.map((m) => `${m.label}/alpha`));
  const weights = net.variables().filter((v) => v.trainable && !alpha.has(v.name)).map((v) => v.variable);
  return () => {
    const gates = mode === 'binarized' ? toGateTensors(net.mixedOps, gatesForArchitecture(net.mixedOps, arch)) : undefined;
    const ctx = mode === 'compact' ? { training: true } : mode === 'binarized' ? { training: true, mode: 'binarized', gates } : { training: true, mode: 'weighted' };
    const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(net.apply(x, ctx), y), weights);
    tf.tidy(() => {
      for (const v of weights) if (grads[v.name]) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
    });
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    if (gates) disposeGates(gates);
  };
}

/**
 * Measures each of `modes` on `space` with architecture `arch` (networks initialized from
 * `rng.fork('w')`), prints one line per mode and the binarized/weighted ÷ compact ratios, and returns
 * the records (`tags` are copied into each).
 */
export async function measureModes({ space, arch, rng, x, y, modes, warmup, steps, lr, tags = {} }) {
  const results = [];
  for (const mode of modes) {
    const net = mode === 'compact' ? space.buildCompact(arch, rng.fork('w')) : space.buildSupernet(rng.fork('w'));
    const step = makeStep(net, mode, arch, x, y, lr);
    const weightBytes = net.variables().reduce((n, v) => n + v.variable.size * 4, 0);
    try {
      for (let i = 0; i < warmup; i++) step();
      const before = tf.memory().numTensors;
      const times = [];
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        step();
        times.push(performance.now() - t0);
      }
      const leaked = tf.memory().numTensors - before;
      const resident = tf.memory().numBytes;
      const prof = await tf.profile(() => step());
      const r = { ...tags, mode, batch: x.shape[0], weightBytes, peakBytes: prof.peakBytes, stepBytes: prof.peakBytes - resident, ms: median(times), n: steps, leaked };
      results.push(r);
      console.log(`  ${mode.padEnd(9)} weights ${MB(weightBytes)} MiB  peak ${MB(r.peakBytes)} MiB  step peak (above resident) ${MB(r.stepBytes)} MiB  step ${fmt(r.ms)} ms (median of ${steps})  leaked tensors ${leaked}`);
    } catch (err) {
      console.log(`  ${mode.padEnd(9)} failed: ${err.message}`);
      results.push({ ...tags, mode, batch: x.shape[0], error: err.message });
    } finally {
      tf.dispose(net.variables().map((v) => v.variable));
    }
  }
  const a = results.find((r) => r.mode === 'compact' && !r.error);
  for (const mode of ['binarized', 'weighted']) {
    const b = results.find((r) => r.mode === mode && !r.error);
    if (a && b) console.log(`  ${mode}/compact: peak ×${(b.peakBytes / a.peakBytes).toFixed(3)}, step peak ×${(b.stepBytes / a.stepBytes).toFixed(3)}, time ×${(b.ms / a.ms).toFixed(3)}`);
  }
  return results;
}
