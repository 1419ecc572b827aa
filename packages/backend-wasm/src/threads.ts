import type * as fsModule from 'node:fs';
import type * as osModule from 'node:os';
import type * as pathModule from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

// XNNPACK's own thread pool under Node. tfjs-backend-wasm 4.22 ships the threaded-SIMD Emscripten
// build (its pthreads are Node worker_threads when run under Node) but never picks it there:
//  1. the WASM_HAS_MULTITHREAD_SUPPORT flag answers false whenever IS_NODE;
//  2. it hands Emscripten the pthread worker script and its own factory as browser Blob URLs,
//     which a Node worker cannot load (its `importScripts` reads files), and the factory's source
//     (`toString()` of the bundled function) refers to bundler bindings (`require$$0`…,
//     `commonjsGlobal`) that do not exist in the worker;
//  3. the C++ side caps the pool at emscripten_num_logical_cores() / 2 (hyper-threading), read
//     once when the module starts: os.cpus().length / 2 = 1 thread on a 2-core machine.
// `initThreadedWasm` works around each, only while the backend initializes: the flag is set, Blob
// and URL.createObjectURL write the two scripts to a temporary folder (the worker script gets a
// prelude that defines the missing bindings and maps the cloned "blob" back to its file), and
// os.cpus reports 2 × threads entries. Everything is restored before it returns.

/** A Blob stand-in whose contents live in a file (what a Node worker can `importScripts`). */
class FileBlob {
  constructor(readonly path: string) {}
}

/** Defines, in a pthread worker, what the bundled factory's source expects from the bundle's scope. */
const WORKER_PRELUDE = [
  "Object.assign(globalThis,{require$$0:require('fs'),require$$1:require('path'),require$$3:require('perf_hooks'),require$$4:require('os'),commonjsGlobal:globalThis});",
  "{const createObjectURL=URL.createObjectURL;URL.createObjectURL=(b)=>b&&typeof b.path==='string'?b.path:createObjectURL(b);}",
].join('');

interface Unrefable {
  unref?(): void;
}

export interface ThreadedWasmResult {
  /** Threads XNNPACK's pool runs (the calling thread included), as tfjs-backend-wasm reports it. */
  readonly threads: number;
}

/**
 * Initializes TensorFlow.js's `wasm` backend with the threaded-SIMD binary and an XNNPACK pool of
 * `threads` threads (the calling thread included) under Node. Call it before anything else
 * initializes the wasm backend (it throws if the backend is already up); `tf.setBackend('wasm')`
 * afterwards finds it ready. Needs SharedArrayBuffer (Node has it) and wasm SIMD. Each XNNPACK op
 * splits its output into tiles over the pool: results do not depend on the thread count.
 */
export async function initThreadedWasm(threads: number): Promise<ThreadedWasmResult> {
  if (!Number.isInteger(threads) || threads < 1 || threads > 8) {
    throw new Error(`proxyless: wasm threads must be an integer from 1 to 8 (the binary pre-creates 8 workers), got ${threads}`);
  }
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw new Error('proxyless: initThreadedWasm is for Node; in a browser, use setThreadsCount of @tensorflow/tfjs-backend-wasm with cross-origin isolation');
  }
  // Node built-ins, fetched at call time so that browser bundles of this package need none of them.
  const builtin = (process as unknown as { getBuiltinModule(id: string): unknown }).getBuiltinModule;
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = builtin('node:fs') as typeof fsModule;
  const os = builtin('node:os') as typeof osModule;
  const { join } = builtin('node:path') as typeof pathModule;
  if (tf.findBackend('wasm')) throw new Error('proxyless: the wasm backend is already initialized; call initThreadedWasm before any tf.setBackend("wasm")');
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('proxyless: wasm threads need SharedArrayBuffer');

  const dir = mkdtempSync(join(os.tmpdir(), 'proxyless-wasm-threads-'));
  const g = globalThis as unknown as { Blob: unknown };
  const realBlob = g.Blob;
  const realCreateObjectURL = URL.createObjectURL;
  const realCpus = os.cpus;
  let files = 0;
  g.Blob = class extends FileBlob {
    constructor(parts: unknown[]) {
      super(join(dir, `script-${files++}.js`));
      writeFileSync(this.path, parts.map(String).join(''));
    }
  };
  URL.createObjectURL = (b: unknown) => {
    if (!(b instanceof FileBlob)) return realCreateObjectURL(b as Blob);
    writeFileSync(b.path, WORKER_PRELUDE + readFileSync(b.path, 'utf8')); // only the worker script is asked for a URL
    return b.path;
  };
  const cpu = realCpus()[0]!;
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpu);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('proxyless: the threaded wasm backend failed to initialize');
    await tf.ready();
  } finally {
    g.Blob = realBlob;
    URL.createObjectURL = realCreateObjectURL;
    os.cpus = realCpus;
    // The workers have read both scripts by now (the module resolves after loading its pthread pool).
    rmSync(dir, { recursive: true, force: true });
  }
  // Emscripten keeps its workers referenced: without this, Node never exits on its own.
  const pool = (tf.backend() as unknown as { wasm: { PThread?: { unusedWorkers: Unrefable[]; runningWorkers: Unrefable[] } } }).wasm.PThread;
  for (const w of [...(pool?.unusedWorkers ?? []), ...(pool?.runningWorkers ?? [])]) w.unref?.();
  return { threads: getThreadsCount() };
}
