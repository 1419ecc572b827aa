// Builds the fused training kernels (assembly/*.ts, AssemblyScript) into wasm/:
//   kernels-simd.wasm         128-bit SIMD, imports tfjs-backend-wasm's (non-shared) memory
//   kernels-simd-shared.wasm  the same for the threaded binary's shared memory
//   kernels-scalar.wasm       no SIMD (engines without wasm SIMD)
// Each module imports `env.memory` and must never write to it by itself: the build fails if a
// module has a data segment, a start function or any import but the memory.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'wasm');
mkdirSync(out, { recursive: true });
const common = ['assembly/index.ts', '--runtime', 'stub', '--importMemory', '--noAssert', '-O3', '--noExportMemory'];
const variants = {
  'kernels-simd.wasm': ['--enable', 'simd'],
  'kernels-simd-shared.wasm': ['--enable', 'simd', '--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'],
  'kernels-scalar.wasm': [], // AssemblyScript 0.28 leaves SIMD off unless enabled
};
for (const [file, extra] of Object.entries(variants)) {
  const { error, stderr } = await asc.main([...common, ...extra, '--outFile', join(out, file)], { stdout: process.stdout, stderr: process.stderr, baseDir: root });
  if (error) throw new Error(`asc ${file}: ${error.message}\n${stderr.toString()}`);
  const bytes = readFileSync(join(out, file));
  const module = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(module);
  if (imports.length !== 1 || imports[0].kind !== 'memory') throw new Error(`${file}: expected only the memory import, got ${JSON.stringify(imports)}`);
  for (const id of sections(bytes)) {
    if (id === 11 || id === 8) throw new Error(`${file}: has a ${id === 11 ? 'data' : 'start'} section; the kernels must not write to tfjs's heap on their own`);
  }
  console.log(`built wasm/${file} (${bytes.length} bytes)`);
}

/** Section ids of a wasm binary. */
function sections(bytes) {
  const ids = [];
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[p++];
      size |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    ids.push(id);
    p += size;
  }
  return ids;
}
