// Entry of a data-parallel search worker thread (see `SearchWorkers`): composes backend → data →
// space from the search's config, takes rank 0's supernet weights and momentum, and runs the
// commands rank 0 sends: weight steps on its slice of each batch, gate gradients and evaluations on
// its slice of arch-step validation batches, and the averaging of batch-norm statistics.
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import type { PluginRef } from '../config/schema.js';
import { disposeBatch, type Batch, type Dataset } from '../data/dataset.js';
import { disposeGates, toGateTensors } from '../nn/gate-sampling.js';
import { softmaxCrossEntropy } from '../nn/loss.js';
import { Rng } from '../random/rng.js';
import { composeRuntime } from '../runtime/runtime-stage.js';
import type { Network } from '../spaces/search-space.js';
import { ensureGradients } from '../tfjs/runtime.js';
import { evaluationShare, evaluationShares, gateGradientShare } from './arch-compute.js';
import { assignFlat, flattenVariables, shardRange, slotsFromHost, type StepShare, type TrainCollective } from './collective.js';
import { checksum, Inbox } from './data-parallel.js';
import { PathWeights, trainBatches, validationBatchAt } from './search-data.js';
import { replicatedVariables, type SearchCommand, type SearchWorkerData, type SearchWorkerMessage } from './search-workers.js';
import { WeightStep } from './weight-step.js';

const port = parentPort!;
const data = workerData as SearchWorkerData;
const send = (m: SearchWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const inbox = new Inbox<SearchCommand>('rank 0');
port.on('message', (m: SearchCommand) => inbox.push(m));

interface StoredConfig {
  readonly seed: number;
  readonly backend: PluginRef;
  readonly data: PluginRef;
  readonly space: PluginRef;
  readonly $source?: { readonly file: string; readonly dir: string };
}

/** backend → data → space (core's runtime stage) → supernet, as the search stage builds them (same seed and slot keys: same data split, same rng forks). */
async function composeSupernet(config: StoredConfig): Promise<{ dataset: Dataset; network: Network }> {
  const rt = await composeRuntime({
    file: config.$source?.file ?? 'config',
    configDir: config.$source?.dir ?? process.cwd(),
    raw: config,
    seed: config.seed,
    backend: config.backend,
    data: config.data,
    space: config.space,
    log: () => {},
  });
  if (!rt.dataset) throw new Error('the search config has no data slot');
  return { dataset: rt.dataset, network: rt.space.buildSupernet(rt.rng.fork('supernet-init')) };
}

/** `PROXYLESS_TEST_FAIL_WORKER=<rank>:<step>`: this worker exits at that weight step (fault-injection for tests). */
function failAt(): number | undefined {
  const m = /^(\d+):(\d+)$/.exec(process.env['PROXYLESS_TEST_FAIL_WORKER'] ?? '');
  return m && Number(m[1]) === data.rank ? Number(m[2]) : undefined;
}

async function main(): Promise<void> {
  tf.enableProdMode();
  const { dataset, network } = await composeSupernet(data.config as StoredConfig);
  await ensureGradients(); // the CommonJS tfjs-core entry registers none
  assignFlat(network.variables(), data.initial);
  const o = data.options;
  const weightStep = new WeightStep(o, true);
  const slots = slotsFromHost(data.slots);
  weightStep.sgd.loadSlots(slots); // copies them
  tf.dispose(Object.values(slots));
  const paths = new PathWeights(network);
  const loss = (logits: tf.Tensor, labels: tf.Tensor1D) => softmaxCrossEntropy(logits, labels, o.labelSmoothing);
  const collective: TrainCollective = {
    rank: data.rank,
    size: data.size,
    async allReduceGradients(share: StepShare) {
      send({ type: 'share', share }, [share.gradients.buffer as ArrayBuffer]);
      return (await inbox.next('reduced')).share;
    },
    async averageState(state: Float32Array) {
      send({ type: 'state', state }, [state.buffer as ArrayBuffer]);
      return (await inbox.next('averaged')).state;
    },
  };
  const exitAt = failAt();
  let train: { epoch: number; next: number; it: Iterator<Batch> } | undefined;
  const trainBatch = (epoch: number, b: number): Batch => {
    if (!train || train.epoch !== epoch || train.next !== b) {
      train = { epoch, next: b, it: trainBatches(dataset.train, o.batchSize, data.seed, epoch, b)[Symbol.iterator]() };
    }
    const r = train.it.next();
    if (r.done) throw new Error(`training batch ${b} of epoch ${epoch} does not exist`);
    train.next++;
    return r.value;
  };
  let valid: { pass: number; index: number; slice: Batch } | undefined;
  const validSlice = (pass: number, index: number): Batch => {
    if (valid && valid.pass === pass && valid.index === index) return valid.slice;
    if (valid) disposeBatch(valid.slice);
    const whole = validationBatchAt(dataset.validation, o.validationBatchSize ?? o.batchSize, data.seed, pass, index);
    const [lo, hi] = shardRange(whole.y.shape[0], data.rank, data.size);
    const slice = { x: tf.slice(whole.x, lo, hi - lo), y: tf.slice(whole.y, lo, hi - lo) };
    disposeBatch(whole);
    valid = { pass, index, slice };
    return slice;
  };
  send({ type: 'ready' });
  for (;;) {
    const c = await inbox.take();
    switch (c.type) {
      case 'weight': {
        if (c.step === exitAt) process.exit(3);
        const batch = trainBatch(c.epoch, c.batch);
        const gates = toGateTensors(network.mixedOps, c.sample);
        try {
          await weightStep.run({
            weights: paths.forSample(c.sample),
            apply: (x, ctx) => network.apply(x, ctx),
            batch,
            forward: { mode: 'binarized', gates, rng: new Rng(c.rng).fork(`forward:${c.step}:${data.rank}`) },
            lr: c.lr,
            collective,
          });
        } finally {
          disposeGates(gates);
          disposeBatch(batch);
        }
        break;
      }
      case 'gateGradients': {
        const slice = validSlice(c.pass, c.index);
        const forward = { training: c.training, rng: new Rng(c.rng).fork(`arch-forward:${c.step}:${data.rank}`) };
        const share = gateGradientShare(network, slice, c.sample, forward, loss, c.recompute);
        send({ type: 'gateShare', share }, [share.gradients.buffer as ArrayBuffer]);
        break;
      }
      case 'evaluate':
        send({ type: 'evalShare', share: evaluationShare(network, validSlice(c.pass, c.index), c.gates, loss) });
        break;
      case 'evaluateEach':
        send({ type: 'evalShares', shares: evaluationShares(network, validSlice(c.pass, c.index), c.samples, loss) });
        break;
      case 'average': {
        const state = network.variables().filter((v) => !v.trainable);
        assignFlat(state, await collective.averageState(flattenVariables(state)));
        break;
      }
      case 'checksum':
        send({ type: 'checksum', checksum: checksum(flattenVariables(replicatedVariables(network))) });
        break;
      default:
        throw new Error(`unexpected command '${c.type}' from rank 0`);
    }
  }
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: `worker ${data.rank}: ${err instanceof Error ? err.message : String(err)}` });
});
