// Runs INSIDE the page (bundled by esbuild for the browser, never imported by Node): rebuilds the
// space from its plugin module, builds the ops / networks Node asks for and times their forward
// passes on the page's TensorFlow.js backend. Node drives it through `globalThis.__proxyless`.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ModuleDescriptors, Rng, stableStringify, time, type Architecture, type InputSpec, type Module, type OpFeatures, type OpSpec, type PluginDescriptor, type SearchSpace } from '@proxyless/core/browser';
import type { PageApi, PageDevice, PageInit, PageTiming } from './protocol.js';

type Global = { __proxyless?: PageApi; __proxylessReady?: boolean; navigator: { userAgent: string; hardwareConcurrency: number; gpu?: unknown }; crossOriginIsolated?: boolean; document: { createElement(tag: 'canvas'): unknown } };
const g = globalThis as unknown as Global;

function spaceDescriptor(module: unknown, name: string | undefined): PluginDescriptor<SearchSpace> {
  const all = ((module as Record<symbol, readonly PluginDescriptor[]>)[ModuleDescriptors] ?? []).filter((d) => d.kind === 'space');
  const picked = name ? all.filter((d) => d.name === name) : all;
  if (picked.length !== 1) throw new Error(`page: the space package provides ${all.map((d) => `"${d.name}"`).join(', ') || 'no space plugin'}; expected exactly one${name ? ` named "${name}"` : ''}`);
  return picked[0] as PluginDescriptor<SearchSpace>;
}

/** Builds a module inside `tf.tidy` (initializer tensors a layer forgets are disposed; variables survive). */
function buildTidy<T>(build: () => T): T {
  let out: T | undefined;
  tf.tidy(() => {
    out = build();
  });
  return out!;
}

function disposeModule(m: Module): void {
  for (const v of m.variables()) v.variable.dispose();
}

/** Warm-up runs, then one timed run at a time (each synchronized: outputs read back on async backends) until `minRuns` and `minDurationMs`. */
async function sample(module: Module, shape: readonly number[], t: PageTiming, seed: number): Promise<number[]> {
  const x = tf.randomUniform([t.batchSize, ...shape], -1, 1, 'float32', seed);
  try {
    const target = { module, input: x };
    const readback = t.readback;
    if (t.warmup > 0) await time(target, { readback, warmup: 0, minRuns: t.warmup, minDurationMs: 0 });
    const samples: number[] = [];
    let spent = 0;
    while ((samples.length < t.minRuns || spent < t.minDurationMs) && samples.length < 10_000) {
      const r = await time(target, { readback, warmup: 0, minRuns: 1, minDurationMs: 0 });
      samples.push(r.medianMs);
      spent += r.medianMs;
    }
    return samples;
  } finally {
    x.dispose();
  }
}

function webglRenderer(): string | undefined {
  try {
    const backend = tf.backend() as unknown as { gpgpu?: { gl?: { getExtension(n: string): { UNMASKED_RENDERER_WEBGL: number } | null; getParameter(p: number): unknown; RENDERER: number } } };
    const gl = backend.gpgpu?.gl;
    if (!gl) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  } catch {
    return undefined;
  }
}

async function webgpuAdapter(): Promise<string | undefined> {
  try {
    const gpu = g.navigator.gpu as { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null> } | undefined;
    const a = await gpu?.requestAdapter();
    const i = a?.info;
    return i ? [i.vendor, i.architecture, i.description].filter(Boolean).join(' ') || 'unknown adapter' : undefined;
  } catch {
    return undefined;
  }
}

/** Installs the page's API for a space package's plugin module (the default export of e.g. `@proxyless/space-mbconv`). */
export function installPage(spaceModule: unknown): void {
  let space: SearchSpace | undefined;
  let ops: OpSpec[] = [];
  const rng = new Rng('browser-latency');

  async function init(init: PageInit): Promise<PageDevice> {
    if (init.backend === 'wasm') {
      setWasmPaths(init.wasmPath);
      // One thread unless asked for more: the threaded binary needs cross-origin isolation.
      if (init.threads <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
    if (!(await tf.setBackend(init.backend))) throw new Error(`page: TensorFlow.js backend "${init.backend}" failed to initialize in this browser`);
    await tf.ready();
    if (init.backend === 'wasm' && init.threads > 1) setThreadsCount(init.threads);
    const descriptor = spaceDescriptor(spaceModule, init.space.name);
    const options = descriptor.options.parse(init.space.options ?? {});
    const input: InputSpec = init.space.input;
    space = await descriptor.create(options, { rng: rng.fork('space'), configDir: '/', input, log: (m) => console.log(m) });
    // Every op the space may run, in the order of @proxyless/latency's spaceOps: candidates, then the fixed layers.
    const described = space.describe();
    const arch = Object.fromEntries(described.map((m) => [m.label, m.candidates[0]!.name]));
    const net = buildTidy(() => space!.buildCompact(arch, rng.fork('fixed')));
    ops = [...described.flatMap((m) => m.candidates), ...net.fixedOps];
    disposeModule(net);
    const flags = tf.env().features as Record<string, unknown>;
    const details: Record<string, string | number | boolean> = {
      userAgent: g.navigator.userAgent,
      hardwareConcurrency: g.navigator.hardwareConcurrency,
      crossOriginIsolated: g.crossOriginIsolated === true,
      tfjs: tf.version_core,
      webgpuOffered: g.navigator.gpu !== undefined,
    };
    if (init.backend === 'wasm') {
      for (const [k, f] of [['simd', 'WASM_HAS_SIMD_SUPPORT'], ['threads', 'WASM_HAS_MULTITHREAD_SUPPORT']] as const) if (typeof flags[f] === 'boolean') details[k] = flags[f] as boolean;
    }
    if (init.backend === 'webgpu') {
      const info = await webgpuAdapter();
      if (info) details['adapter'] = info;
    }
    if (init.backend === 'webgl') {
      const r = webglRenderer();
      if (r) details['renderer'] = r;
      details['webglVersion'] = tf.env().getNumber('WEBGL_VERSION');
    }
    return { backend: tf.getBackend(), ops: ops.length, details };
  }

  const api: PageApi = {
    async init(o: PageInit): Promise<PageDevice> {
      try {
        return await init(o);
      } catch (err) {
        console.error(`proxyless page: init failed: ${(err as Error).stack ?? String(err)}`);
        throw err;
      }
    },
    async measureOps(wanted: readonly OpFeatures[], timing: PageTiming): Promise<number[][]> {
      if (!space) throw new Error('page: init() first');
      const byFeatures = new Map<string, OpSpec>();
      for (const op of ops) {
        const k = stableStringify(op.features);
        if (!byFeatures.has(k)) byFeatures.set(k, op);
      }
      const out: number[][] = [];
      for (const [i, features] of wanted.entries()) {
        const op = byFeatures.get(stableStringify(features));
        if (!op) throw new Error(`page: the space built in the page has no op with features ${stableStringify(features)}; are the page's and Node's space options the same?`);
        if (!op.build) throw new Error(`page: op ${op.name} has no build() to measure it`);
        const r = rng.fork(`${op.name}/${i}`);
        const module = buildTidy(() => op.build!(r));
        try {
          out.push(await sample(module, op.features.input, timing, r.nextUint32()));
        } finally {
          disposeModule(module);
        }
      }
      return out;
    },
    async measureArchitecture(architecture: Architecture, timing: PageTiming): Promise<number[]> {
      if (!space) throw new Error('page: init() first');
      const r = rng.fork('architecture');
      const net = buildTidy(() => space!.buildCompact(architecture, r));
      try {
        return await sample(net, space.input.shape, timing, r.nextUint32());
      } finally {
        disposeModule(net);
      }
    },
    memory: () => tf.memory().numTensors,
  };
  g.__proxyless = api;
  g.__proxylessReady = true;
}
