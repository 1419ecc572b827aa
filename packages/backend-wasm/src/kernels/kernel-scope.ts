import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** NHWC paddings of the two spatial axes: `[[top, bottom], [left, right]]`. */
export type SpatialPads = readonly [readonly [number, number], readonly [number, number]];

/**
 * Runs other kernels of one backend directly (TensorInfo in, TensorInfo out), the way tfjs backends
 * compose kernels internally: no engine, no tape, no tensor tracking. Every intermediate result is
 * released when the scope ends, except the one the composite kernel returns.
 *
 * Each kernel output holds one backend reference (aliasing kernels such as Reshape `incRef` their
 * input), so disposing every output exactly once is balanced.
 */
/** The parts of tfjs-backend-wasm 4.22's `BackendWasm` that `KernelScope.view` relies on. */
interface WasmBackendInternals {
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number | null } | undefined; delete(dataId: object): boolean };
  makeOutput(shape: number[], dtype: string, memoryOffset?: number): TensorInfo;
  wasm: { tfjs: { disposeData(id: number): void } };
}

export class KernelScope {
  private readonly temps = new Set<TensorInfo>();
  private readonly views = new Set<TensorInfo>();

  constructor(
    readonly backend: KernelBackend,
    readonly backendName: string,
  ) {}

  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const config = tf.getKernel(kernelName, this.backendName);
    if (!config) throw new Error(`proxyless: kernel '${kernelName}' is not registered for backend '${this.backendName}'`);
    const out = config.kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`proxyless: kernel '${kernelName}' returned several outputs`);
    this.temps.add(out);
    return out;
  }

  runMany(kernelName: string, inputs: TensorInfo[], attrs: NamedAttrMap = {}): TensorInfo {
    const config = tf.getKernel(kernelName, this.backendName);
    if (!config) throw new Error(`proxyless: kernel '${kernelName}' is not registered for backend '${this.backendName}'`);
    // Concat/AddN/Pack take their inputs as an array.
    const out = config.kernelFunc({ inputs: inputs as unknown as Record<string, TensorInfo>, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`proxyless: kernel '${kernelName}' returned several outputs`);
    this.temps.add(out);
    return out;
  }

  /** Releases an intermediate early (large temporaries inside loops). */
  release(t: TensorInfo): void {
    if (this.temps.delete(t)) this.backend.disposeData(t.dataId);
  }

  /** Removes `t` from the scope: the caller owns it now. */
  keep(t: TensorInfo): TensorInfo {
    if (!this.temps.delete(t)) {
      throw new Error('proxyless: a composite kernel must return a tensor it computed, not one of its inputs');
    }
    return t;
  }

  dispose(): void {
    for (const v of this.views) this.dropView(v);
    this.views.clear();
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.clear();
  }

  /**
   * A zero-copy view of `size(shape)` consecutive float32 elements of `base`, starting `offset`
   * elements in (wasm only: a tensor registered at an address inside `base`'s heap block, the way
   * tfjs-backend-wasm's `makeOutput(shape, dtype, memoryOffset)` registers C++-allocated outputs).
   * Read-only by convention; forgotten (never freed) when the scope ends, before `base` can be.
   * `base` must outlive the scope (an input of the kernel, or a temporary of this scope).
   */
  view(base: TensorInfo, offset: number, shape: readonly number[]): TensorInfo {
    const be = this.backend as unknown as WasmBackendInternals;
    const data = be.dataIdMap.get(base.dataId);
    const size = shape.reduce((a, b) => a * b, 1);
    const baseSize = base.shape.reduce((a, b) => a * b, 1);
    if (!data || data.memoryOffset == null || base.dtype !== 'float32') throw new Error('proxyless: view() needs a float32 tensor on the wasm heap');
    if (!Number.isInteger(offset) || offset < 0 || offset + size > baseSize) throw new Error(`proxyless: view [${offset}, ${offset + size}) outside a tensor of ${baseSize} elements`);
    const v = be.makeOutput([...shape], 'float32', data.memoryOffset + 4 * offset);
    this.views.add(v);
    return v;
  }

  private dropView(v: TensorInfo): void {
    const be = this.backend as unknown as WasmBackendInternals;
    const data = be.dataIdMap.get(v.dataId);
    if (!data) return;
    be.wasm.tfjs.disposeData(data.id); // C++ side: forget the id (and any operator cached on it), no free
    be.dataIdMap.delete(v.dataId);
  }

  // ---- typed shorthands for the kernels the training kernels are built from ----

  reshape(x: TensorInfo, shape: readonly number[]): TensorInfo {
    return this.run(tf.Reshape, { x }, { shape: [...shape] });
  }

  transpose(x: TensorInfo, perm: readonly number[]): TensorInfo {
    return this.run(tf.Transpose, { x }, { perm: [...perm] });
  }

  pad(x: TensorInfo, paddings: ReadonlyArray<readonly [number, number]>): TensorInfo {
    return this.run(tf.PadV2, { x }, { paddings: paddings.map((p) => [p[0], p[1]]), constantValue: 0 });
  }

  stridedSlice(x: TensorInfo, begin: readonly number[], end: readonly number[], strides: readonly number[]): TensorInfo {
    return this.run(tf.StridedSlice, { x }, {
      begin: [...begin], end: [...end], strides: [...strides],
      beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
    });
  }

  reverse(x: TensorInfo, dims: readonly number[]): TensorInfo {
    return this.run(tf.Reverse, { x }, { dims: [...dims] });
  }

  sum(x: TensorInfo, axis: readonly number[]): TensorInfo {
    return this.run(tf.Sum, { x }, { axis: [...axis], keepDims: false });
  }

  matMul(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run(tf.BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
  }

  mul(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run(tf.Multiply, { a, b });
  }

  fill(shape: readonly number[], value: number): TensorInfo {
    return this.run(tf.Fill, {}, { shape: [...shape], value, dtype: 'float32' });
  }

  concat(xs: TensorInfo[], axis: number): TensorInfo {
    return this.runMany(tf.Concat, xs, { axis });
  }

  addN(xs: TensorInfo[]): TensorInfo {
    return xs.length === 1 ? this.run(tf.Identity, { x: xs[0]! }) : this.runMany(tf.AddN, xs);
  }

  /** Stride-1/`strides` conv with explicit non-negative pads (NHWC). */
  conv2d(x: TensorInfo, filter: TensorInfo, strides: readonly [number, number], dilations: readonly [number, number], pads: SpatialPads): TensorInfo {
    return this.run(tf.Conv2D, { x, filter }, {
      strides: [...strides], dilations: [...dilations], pad: explicit(pads), dataFormat: 'NHWC',
    });
  }

  depthwiseConv2d(x: TensorInfo, filter: TensorInfo, strides: readonly [number, number], dilations: readonly [number, number], pads: SpatialPads): TensorInfo {
    return this.run(tf.DepthwiseConv2dNative, { x, filter }, {
      strides: [...strides], dilations: [...dilations], pad: explicit(pads),
    });
  }

  /**
   * Applies spatial paddings to an NHWC tensor where some may be negative: negative amounts crop
   * (StridedSlice), positive ones are returned for the consumer (a conv's explicit padding).
   */
  cropNegative(x: TensorInfo, pads: SpatialPads): { x: TensorInfo; pads: SpatialPads } {
    const [[t, b], [l, r]] = pads;
    if (t >= 0 && b >= 0 && l >= 0 && r >= 0) return { x, pads };
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const begin = [0, Math.max(0, -t), Math.max(0, -l), 0];
    const end = [n, h - Math.max(0, -b), w - Math.max(0, -r), c];
    if (end[1]! <= begin[1]! || end[2]! <= begin[2]!) throw new Error('proxyless: padding crops away the whole input');
    return {
      x: this.stridedSlice(x, begin, end, [1, 1, 1, 1]),
      pads: [[Math.max(0, t), Math.max(0, b)], [Math.max(0, l), Math.max(0, r)]],
    };
  }
}

function explicit(pads: SpatialPads): number[][] {
  return [[0, 0], [pads[0][0], pads[0][1]], [pads[1][0], pads[1][1]], [0, 0]];
}

/** Runs `fn` in a fresh scope on `backend`; returns its result and releases everything else. */
export function composite(backend: unknown, backendName: string, fn: (k: KernelScope) => TensorInfo): TensorInfo {
  const scope = new KernelScope(backend as KernelBackend, backendName);
  try {
    return scope.keep(fn(scope));
  } finally {
    scope.dispose();
  }
}
