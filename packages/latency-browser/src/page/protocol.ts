// What Node and the page exchange (plain JSON through Playwright's `page.evaluate`).
import type { Architecture, OpFeatures } from '@proxyless/core/browser';

export type BrowserBackend = 'wasm' | 'webgl' | 'webgpu';

export interface PageInit {
  readonly backend: BrowserBackend;
  /** URL folder of tfjs-backend-wasm's .wasm files (served from node_modules). */
  readonly wasmPath: string;
  /** wasm threads (1: the single-threaded binary). */
  readonly threads: number;
  readonly space: {
    /** Plugin name in the space package (needed only when it provides several). */
    readonly name?: string;
    readonly options?: unknown;
    readonly input: { readonly shape: readonly [number, number, number]; readonly numClasses: number };
  };
}

export interface PageTiming {
  readonly batchSize: number;
  readonly warmup: number;
  readonly minRuns: number;
  readonly minDurationMs: number;
  readonly readback: 'data' | 'none';
}

export interface PageDevice {
  readonly backend: string;
  readonly ops: number;
  readonly details: Record<string, string | number | boolean>;
}

export interface PageApi {
  init(init: PageInit): Promise<PageDevice>;
  /** Timed runs (ms) of each op, found in the page's space by its features. */
  measureOps(features: readonly OpFeatures[], timing: PageTiming): Promise<number[][]>;
  /** Timed runs (ms) of the compact network of an architecture. */
  measureArchitecture(architecture: Architecture, timing: PageTiming): Promise<number[]>;
  /** Live tensors in the page (leak checks). */
  memory(): number;
}
