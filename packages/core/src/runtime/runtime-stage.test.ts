import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { created, microModule, subsetDir } from '../../test/micro-plugins.js';
import { composeRuntime } from './runtime-stage.js';

const source = (extra: object = {}) => ({ file: '/x/latency.yaml', configDir: '/x', raw: {}, seed: 5, space: { use: 'micro', options: {} }, ...extra });

describe('the runtime stage: backend → data → space', () => {
  it('initializes the backend, loads the data and creates the space for its input', async () => {
    created.splice(0);
    const logs: string[] = [];
    const r = await composeRuntime(source({ data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 64, test: 16 }, validation: 16 } }, log: (m: string) => logs.push(m) }), [microModule]);
    expect(logs[0]).toMatch(/^backend: cpu on /);
    expect(r.backend.name).toBe('cpu');
    expect(r.dataset!.train.size).toBe(48);
    expect(r.input).toEqual({ shape: [28, 28, 1], numClasses: 10 });
    expect(r.space.input).toBe(r.input);
    expect(created).toEqual([{ kind: 'space', backend: 'cpu' }]);
    expect(r.rng.fork('x').nextUint32()).toBe((await composeRuntime(source({ input: r.input, log: () => {} }), [microModule])).rng.fork('x').nextUint32());
  });

  it('with a given input, loads no data (latency build with `input:`)', async () => {
    const logs: string[] = [];
    const input = { shape: [8, 8, 3] as const, numClasses: 4 };
    const r = await composeRuntime(source({ input, data: { use: 'fashion-mnist', options: { dir: '/no/such/dir' } }, log: (m: string) => logs.push(m) }), [microModule]);
    expect(r.dataset).toBeUndefined();
    expect(r.space.input).toEqual(input);
    expect(logs.filter((l) => !l.startsWith('backend:'))).toEqual([]);
    const net = r.space.buildCompact({ b0: '3x3_conv' }, r.rng.fork('compact-init'));
    const y = tf.tidy(() => net.apply(tf.zeros([2, 8, 8, 3]), { training: false }));
    expect(y.shape).toEqual([2, 4]);
    tf.dispose([y, ...net.variables().map((v) => v.variable)]);
  });
});
