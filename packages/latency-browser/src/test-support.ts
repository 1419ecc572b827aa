// Shared by this package's tests (not exported): the space they measure and the Chromium check.
import { findChromium } from './chromium.js';
import type { PageSpace } from './browser-runtime.js';

/** A small MBConv space on 28×28×1 (Fashion-MNIST's shape): 2 searchable blocks × {3x3_MBConv3, 5x5_MBConv6} (+ zero on the second). */
export const smallSpaceOptions = {
  preset: 'small',
  firstConv: { width: 16, stride: 1 },
  firstBlock: { width: 16 },
  stages: [{ width: 32, blocks: 2, stride: 2 }],
  featureMix: 64,
  candidates: ['3x3_MBConv3', '5x5_MBConv6'],
};
export const smallInput = { shape: [28, 28, 1] as [number, number, number], numClasses: 10 };
export const smallPageSpace: PageSpace = { spaceImport: '@proxyless/space-mbconv', resolveDir: process.cwd(), options: smallSpaceOptions, input: smallInput };

/** The Chromium the tests drive; when there is none they are skipped and say why. */
export const chromiumPath = findChromium();
export function reportSkip(project: string): void {
  if (!chromiumPath) console.warn(`${project}: SKIPPED — no Chromium found at PROXYLESS_CHROMIUM or /usr/bin/chromium (install it: apt-get install chromium)`);
}
