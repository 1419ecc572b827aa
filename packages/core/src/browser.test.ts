import { build, type Metafile } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Bundles `contents` for the browser (as a page would) and returns the bundled files and the errors (Node built-ins among them). */
async function bundleForBrowser(contents: string): Promise<{ inputs: string[]; nodeImports: string[]; errors: string[] }> {
  const r = await build({
    stdin: { contents, resolveDir: here, loader: 'ts', sourcefile: 'page.ts' },
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    conditions: ['source', 'browser'],
    metafile: true,
    logLevel: 'silent',
  }).catch((e: { errors?: { text: string }[] }) => ({ errors: e.errors ?? [{ text: String(e) }], metafile: undefined as Metafile | undefined }));
  // esbuild cannot resolve a Node built-in for platform=browser (packages map their optional ones
  // away through their "browser" field), so every node: import reachable from the entry is an error.
  const errors = (r.errors ?? []).map((e) => e.text);
  const nodeImports = errors.filter((e) => /node:|built-in|for node/i.test(e));
  return { inputs: Object.keys(r.metafile?.inputs ?? {}), nodeImports, errors };
}

describe('@proxyless/core for browsers', () => {
  it('the browser entry bundles for platform=browser without any Node built-in', async () => {
    const r = await bundleForBrowser(`export * from '@proxyless/core/browser';`);
    expect(r.errors).toEqual([]);
    expect(r.nodeImports).toEqual([]);
    expect(r.inputs.some((f) => f.endsWith('src/browser.ts'))).toBe(true);
  });

  it('the `browser` export condition of "@proxyless/core" selects it (what a plugin package imports)', async () => {
    const r = await bundleForBrowser(`import { Rng, Conv2d, time, definePlugin, saveLayersModelDir } from '@proxyless/core'; export { Rng, Conv2d, time, definePlugin, saveLayersModelDir };`);
    expect(r.errors).toEqual([]);
    expect(r.nodeImports).toEqual([]);
    expect(r.inputs.some((f) => f.endsWith('core/src/index.ts'))).toBe(false);
  });

  it('the main entry is not browser-safe (the check can fail)', async () => {
    const r = await bundleForBrowser(`export * from ${JSON.stringify(join(here, 'index.ts'))};`);
    expect(r.nodeImports.some((e) => e.includes('node:fs'))).toBe(true);
  });
});
