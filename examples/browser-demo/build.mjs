// Bundles src/main.js with @tensorflow/tfjs into dist/bundle.js (esbuild, no CDN) and copies the wasm
// backend's binaries next to it. `node build.mjs`, then serve this folder: `node serve.mjs`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export async function buildDemo() {
  const dist = join(here, 'dist');
  mkdirSync(dist, { recursive: true });
  await build({
    entryPoints: [join(here, 'src/main.js')],
    outfile: join(dist, 'bundle.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(dist, f));
  return dist;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = await buildDemo();
  console.log(`built ${dist}`);
}
