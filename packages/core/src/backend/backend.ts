export const Backend = Symbol.for('proxyless.Backend');

/** What a measured latency is keyed by: the runtime and the hardware under it. */
export interface DeviceDescription {
  /** TensorFlow.js backend name (`cpu`, `wasm`, `tensorflow`, …). */
  readonly backend: string;
  /** Human-readable hardware, e.g. `AMD EPYC 7B13 ×2 (linux x64)`. */
  readonly device: string;
  /** Extra facts that change speed (SIMD, threads, library versions, …). */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

/** Selects and initializes a TensorFlow.js backend for a search. */
export interface Backend {
  /** The TensorFlow.js backend name this plugin selects. */
  readonly name: string;
  /** Registers (if needed) and activates the backend; must leave gradients registered. */
  init(): Promise<void>;
  describe(): DeviceDescription;
}
