import { describe, expect, it } from 'vitest';
import { BrowserPageError, BrowserRuntime } from './browser-runtime.js';
import { launchChromium } from './chromium.js';
import { chromiumPath, reportSkip, smallPageSpace } from './test-support.js';

reportSkip('browser-chromium');

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[(s.length >> 1) - 1]! + s[s.length >> 1]!) / 2;
};
const quick = { warmup: 2, minRuns: 7, minDurationMs: 0 };
// Two ops of the small space at the same place (block s1_b0, 28×28×16 → 14×14×32): 5×5 expand 6 has ≈ 2.3× the MACs of 3×3 expand 3.
const small = { type: 'expanded_conv', input: [28, 28, 16], output: [14, 14, 32], expand: 3, kernel: 3, stride: 2, idskip: false } as const;
const large = { ...small, expand: 6, kernel: 5 } as const;

describe.skipIf(!chromiumPath)('BrowserRuntime: ops and networks timed inside headless Chromium', () => {
  it('wasm: device says Chromium, version and backend; a bigger op takes longer; a whole network runs; no tensor leaks', async () => {
    const rt = await BrowserRuntime.start({ backend: 'wasm', space: smallPageSpace });
    try {
      const d = rt.describe();
      expect(d.backend).toBe('browser-wasm');
      expect(d.device).toMatch(/^Chromium \d+\.\d+\.\d+\.\d+ \(headless\) · TensorFlow\.js wasm$/);
      expect(d.details).toMatchObject({ browser: 'Chromium', crossOriginIsolated: true, threads: false, tfjs: '4.22.0' });
      expect(typeof d.details['simd']).toBe('boolean');
      // Five interleaved rounds; each op's figure is the least of its round medians: a shared machine
      // slows down in phases of seconds, which one timing window per op cannot see past.
      const rounds: { a: number[]; b: number[]; net: number[] } = { a: [], b: [], net: [] };
      for (let r = 0; r < 5; r++) {
        const [a, b] = await rt.measureOps([small, large], { warmup: 3, minRuns: 15, minDurationMs: 50 });
        expect(a!.length).toBeGreaterThanOrEqual(15);
        expect([...a!, ...b!].every((t) => Number.isFinite(t) && t > 0)).toBe(true);
        rounds.a.push(median(a!));
        rounds.b.push(median(b!));
        const net = await rt.measureArchitecture({ s1_b0: '5x5_MBConv6', s1_b1: 'zero' }, quick);
        expect(net.length).toBe(7);
        rounds.net.push(median(net));
      }
      const [a, b, net] = [Math.min(...rounds.a), Math.min(...rounds.b), Math.min(...rounds.net)];
      expect(b, JSON.stringify(rounds)).toBeGreaterThan(a);
      // The network contains the op `large` and more: it cannot be faster than it.
      expect(net, JSON.stringify(rounds)).toBeGreaterThan(b * 0.8);
      expect(await rt.tensorsInPage()).toBe(0);
    } finally {
      await rt.close();
    }
  });

  it('webgl (SwiftShader): the renderer is named; timed runs wait for the GPU (read-back), not just the dispatch', async () => {
    const rt = await BrowserRuntime.start({ backend: 'webgl', space: smallPageSpace });
    try {
      const d = rt.describe();
      expect(d.backend).toBe('browser-webgl');
      expect(d.device).toMatch(/^Chromium .* · TensorFlow\.js webgl on .*SwiftShader/);
      expect(d.details['webglVersion']).toBe(2);
      const arch = { s1_b0: '5x5_MBConv6', s1_b1: '5x5_MBConv6' };
      const synced = await rt.measureArchitecture(arch, quick);
      const dispatchOnly = await rt.measureArchitecture(arch, { ...quick, readback: 'none' });
      expect(synced.every((t) => t > 0)).toBe(true);
      // Without waiting for the results the time is only the JavaScript-side dispatch: much shorter.
      expect(median(synced)).toBeGreaterThan(median(dispatchOnly));
      const [op] = await rt.measureOps([large], quick);
      expect(median(op!)).toBeGreaterThan(0);
      expect(await rt.tensorsInPage()).toBe(0);
    } finally {
      await rt.close();
    }
  });

  it('webgpu (Chromium offers it here on SwiftShader): the adapter is named and an op and a network are timed', async () => {
    const rt = await BrowserRuntime.start({ backend: 'webgpu', space: smallPageSpace });
    try {
      const d = rt.describe();
      expect(d.backend).toBe('browser-webgpu');
      expect(d.device).toMatch(/^Chromium .* · TensorFlow\.js webgpu on \S+/);
      const [op] = await rt.measureOps([large], quick);
      expect(median(op!)).toBeGreaterThan(0);
      const net = await rt.measureArchitecture({ s1_b0: '3x3_MBConv3', s1_b1: 'zero' }, quick);
      expect(net.every((t) => t > 0)).toBe(true);
      expect(await rt.tensorsInPage()).toBe(0);
    } finally {
      await rt.close();
    }
  });

  it('a page error is reported with the page console output', async () => {
    const err = await BrowserRuntime.start({ backend: 'wasm', space: { ...smallPageSpace, name: 'no-such-space' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrowserPageError);
    const message = (err as Error).message;
    expect(message).toMatch(/init failed in the page: .*provides "mbconv"; expected exactly one named "no-such-space"/);
    expect(message).toMatch(/page console \(last \d+ lines\):\n(.*\n)* {2}\[error\] proxyless page: init failed: Error: page: the space package provides/);
  });
});

describe('a missing browser', () => {
  it('is an error naming what to install', async () => {
    await expect(launchChromium({ backend: 'wasm', executablePath: '/nonexistent/chromium' })).rejects.toThrow(/Chromium \/nonexistent\/chromium does not exist; install Chromium \(Debian\/Ubuntu: `apt-get install chromium`\)/);
  });
  it.skipIf(!chromiumPath)('a browser that does not start is an error naming what to install', async () => {
    // /bin/false is an executable that exits at once: what a broken Chromium install looks like.
    await expect(launchChromium({ backend: 'wasm', executablePath: '/bin/false' })).rejects.toThrow(/Chromium \/bin\/false did not start .*apt-get install chromium/s);
  });
});
