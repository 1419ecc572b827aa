// Entry of a data-parallel training worker thread (see `trainNetworkInWorkers`): rebuilds the
// network and the data from the architecture file, takes rank 0's initial weights, and runs
// `trainNetwork` on its slice of every batch, exchanging gradients and statistics with rank 0.
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { composeNetwork } from '../runtime/compose-network.js';
import { ensureGradients } from '../tfjs/runtime.js';
import { assignFlat, flattenVariables, slotsFromHost, type StepShare, type TrainCollective } from './collective.js';
import { checksum, Inbox, type RankZeroMessage, type TrainWorkerData, type WorkerMessage } from './data-parallel.js';
import { trainNetwork } from './train-network.js';

const port = parentPort!;
const data = workerData as TrainWorkerData;
const send = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const inbox = new Inbox<RankZeroMessage>('rank 0');
port.on('message', (m: RankZeroMessage) => inbox.push(m));

async function main(): Promise<void> {
  tf.enableProdMode();
  const { network, dataset } = await composeNetwork({ ...data.compose, log: () => {} });
  await ensureGradients(); // the CommonJS tfjs-core entry registers none
  assignFlat(network.variables(), data.initial);
  send({ type: 'ready' });
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
  const slots = data.resume ? slotsFromHost(data.resume.slots) : {};
  try {
    await trainNetwork(network, dataset, data.options, { seed: data.seed, collective, ...(data.resume ? { resume: { epochsDone: data.resume.epochsDone, slots } } : {}) });
  } finally {
    tf.dispose(Object.values(slots));
  }
  send({ type: 'done', checksum: checksum(flattenVariables(network.variables())) });
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: `data-parallel worker ${data.rank}: ${err instanceof Error ? err.message : String(err)}` });
});
