import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { ConvGeometry } from '../kernels/conv-geometry.js';

/**
 * A `WebAssembly.Memory` as this package's public types name it (structurally, so that they declare no
 * global `WebAssembly`, which would clash with a user's lib.dom; the compile-time declaration of the little
 * used here is src/webassembly.d.ts, which tsc does not copy to dist/).
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

// The fused training kernels (assembly/*.ts, AssemblyScript → wasm/kernels-*.wasm) run inside
// tfjs-backend-wasm's own WebAssembly.Memory: the module imports that memory and works on the
// tensors' heap addresses (`memoryOffset`), so nothing is copied. Scratch space comes from the
// backend's malloc. The module holds no state of its own; an instance is bound to one memory.

/** The exports of wasm/kernels-*.wasm (pointers are byte offsets into tfjs-backend-wasm's heap). */
export interface FusedExports {
  batchNormStats(x: number, m: number, c: number, mean: number, variance: number, scratch: number): void;
  batchNormApply(x: number, y: number, m: number, c: number, mean: number, variance: number, gamma: number, beta: number, eps: number, relu6: number, scratch: number): void;
  batchNormBackward(
    dy: number, x: number, dx: number, m: number, c: number, mean: number, variance: number, gamma: number, beta: number, eps: number,
    relu6: number, dGamma: number, dBeta: number, scratch: number,
  ): void;
  relu6Grad(dy: number, x: number, dx: number, n: number): void;
  conv1x1FilterGrad(x: number, dy: number, dW: number, k: number, c: number, o: number): void;
  convFilterGrad(
    x: number, dy: number, dW: number, n: number, h: number, w: number, c: number, o: number, oh: number, ow: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
  ): void;
  /** `op`: DEPTHWISE.forward (out = y, inp = x, tap = f), .inputGrad (out = dy, inp = dx, tap = f), .filterGrad (out = dy, inp = x, tap = dW). */
  depthwise(
    op: number, out: number, inp: number, tap: number, n: number, h: number, w: number, c: number, oh: number, ow: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
  ): void;
}

/** The parts of tfjs-backend-wasm 4.22's `BackendWasm` the fused kernels use. */
export interface WasmBackendInternals {
  dataIdMap: { get(dataId: object): { memoryOffset: number | null } | undefined };
  makeOutput(shape: number[], dtype: string): TensorInfo;
  wasm: {
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    /** The threaded build's memory. */
    wasmMemory?: WasmMemory;
    /** The single-threaded builds export theirs. */
    asm?: { memory?: WasmMemory };
  };
}

export type FusedVariant = 'simd' | 'simd-shared' | 'scalar';

/** A minimal module using SIMD opcodes (i8x16.splat, popcnt): validates only where wasm SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

interface Loaded {
  readonly modules: Partial<Record<FusedVariant, WebAssembly.Module>>;
}
let loaded: Loaded | null | undefined;
const instances = new WeakMap<WasmMemory, FusedExports>();

/** Compiles the built modules once (Node: read from the package's wasm/ folder); null when they are unavailable. */
function load(): Loaded | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as { readFileSync(u: URL): Uint8Array; existsSync(u: URL): boolean } | undefined;
  if (!fs) return loaded; // browsers: not wired yet (the callers fall back to composed kernels)
  const modules: Loaded['modules'] = {};
  const simd = WebAssembly.validate(SIMD_PROBE);
  for (const variant of (simd ? ['simd', 'simd-shared', 'scalar'] : ['scalar']) as FusedVariant[]) {
    const url = new URL(`../../wasm/kernels-${variant}.wasm`, import.meta.url);
    if (fs.existsSync(url)) modules[variant] = new WebAssembly.Module(fs.readFileSync(url));
  }
  if (Object.keys(modules).length) loaded = { modules };
  return loaded;
}

/** Whether the fused kernels can run here (their modules are built and loadable). */
export function fusedKernelsAvailable(): boolean {
  return load() !== null;
}

let enabled = true;
/**
 * Switches the fused paths inside existing kernels (the depthwise filter gradient) on or off;
 * `registerTrainingKernels({ fused })` calls it (benchmarks A/B them in one process).
 */
export function setFusedEnabled(on: boolean): void {
  enabled = on;
}

/** Whether kernels should take their fused path on this backend now. */
export function useFused(backend: WasmBackendInternals): boolean {
  return enabled && fusedKernelsAvailable() && fusedVariantFor(heapOf(backend)) !== null;
}

/** The variant an instance on `memory` uses, or null when none fits. */
export function fusedVariantFor(memory: WasmMemory): FusedVariant | null {
  const l = load();
  if (!l) return null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  if (shared) return l.modules['simd-shared'] ? 'simd-shared' : null;
  return l.modules.simd ? 'simd' : l.modules.scalar ? 'scalar' : null;
}

/** The wasm backend's heap. */
export function heapOf(backend: WasmBackendInternals): WasmMemory {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!memory) throw new Error('proxyless: cannot find the WebAssembly.Memory of tfjs-backend-wasm (expected wasm.wasmMemory or wasm.asm.memory, as in 4.22)');
  return memory;
}

/** The fused kernels bound to the backend's heap (instantiated on first use). */
export function fusedFor(backend: WasmBackendInternals): FusedExports {
  const memory = heapOf(backend);
  let k = instances.get(memory);
  if (!k) {
    const variant = fusedVariantFor(memory);
    if (!variant) throw new Error('proxyless: no fused-kernel module fits this wasm backend (run the package build: wasm/kernels-*.wasm)');
    k = new WebAssembly.Instance(load()!.modules[variant]!, { env: { memory } }).exports as unknown as FusedExports;
    instances.set(memory, k);
  }
  return k;
}

/** Heap address of a float32 tensor. */
export function addressOf(backend: WasmBackendInternals, t: TensorInfo, what: string): number {
  if (t.dtype !== 'float32') throw new Error(`proxyless: ${what} must be float32, got ${t.dtype}`);
  const offset = backend.dataIdMap.get(t.dataId)?.memoryOffset;
  if (offset == null) throw new Error(`proxyless: ${what} is not on the wasm heap`);
  return offset;
}

/** Runs `fn` with `bytes` of scratch memory from the backend's malloc. */
export function withScratch<T>(backend: WasmBackendInternals, bytes: number, fn: (ptr: number) => T): T {
  const ptr = backend.wasm._malloc(Math.max(16, bytes));
  try {
    return fn(ptr);
  } finally {
    backend.wasm._free(ptr);
  }
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** What the fused `depthwise` export computes (assembly/depthwise.ts): the forward or one of its gradients. */
export const DEPTHWISE = { forward: 0, inputGrad: 1, filterGrad: 2 } as const;

/**
 * The depthwise conv of geometry `g` (channel multiplier 1) in one wasm SIMD pass: `op` writes y
 * (`out`, from x in `inp`), dx (`inp`, from dy in `out`) or dW (`tap`, from dy and x).
 */
export function runDepthwise(
  backend: WasmBackendInternals,
  op: (typeof DEPTHWISE)[keyof typeof DEPTHWISE],
  out: TensorInfo,
  inp: TensorInfo,
  tap: TensorInfo,
  g: ConvGeometry,
): void {
  const at = (t: TensorInfo, what: string) => addressOf(backend, t, what);
  fusedFor(backend).depthwise(
    op, at(out, 'out'), at(inp, 'inp'), at(tap, 'tap'), g.batch, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth,
    g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft,
  );
}
