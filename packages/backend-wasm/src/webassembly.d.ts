// The project compiles against lib ES2022 without DOM, which declares no WebAssembly: the little that
// src/fused/fused-module.ts uses. An ambient file, so tsc does not copy it to dist/: the published types
// declare no global WebAssembly (it would clash with a user's lib.dom; they name a memory `WasmMemory`).
declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  function validate(bytes: Uint8Array): boolean;
}
