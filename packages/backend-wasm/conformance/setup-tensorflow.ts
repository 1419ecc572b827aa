import '@tensorflow/tfjs-backend-cpu'; // the reference backend
import { ensureGradients } from '@proxyless/core';
import { useConformanceBackend } from '@proxyless/test-utils';

await ensureGradients();
let unavailable: string | undefined;
try {
  // Optional: downloads libtensorflow when installed, which fails offline; not a dependency.
  const name = '@tensorflow/tfjs-node';
  await import(/* @vite-ignore */ name);
} catch (e) {
  unavailable = `@tensorflow/tfjs-node is not installed (${(e as Error).message.split('\n')[0]})`;
}
await useConformanceBackend('tensorflow', unavailable);
