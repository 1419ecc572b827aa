import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';

/** What a page is bundled from: a generated entry that imports the space package and the page code. */
export interface PageBundleSource {
  /** How the entry imports the space package: a module file (a resolved plugin's `from`) or a package name. */
  readonly spaceImport: string;
  /** Folder bare imports are resolved from (the config's folder). */
  readonly resolveDir: string;
}

const here = dirname(new URL(import.meta.url).pathname);
/** Running from the TypeScript sources (tests): bundle sources too, through the `source` export condition. */
const fromSource = import.meta.url.endsWith('.ts');
const require = createRequire(import.meta.url);

/**
 * Bundles the page for the browser with esbuild (platform=browser, the `browser` export condition,
 * so `@proxyless/core` is its browser build): TensorFlow.js with its cpu, wasm and webgl backends,
 * the space package and the page code. No CDN: everything is in the one file.
 */
export async function bundlePage(src: PageBundleSource): Promise<string> {
  const page = join(here, 'page', fromSource ? 'page.ts' : 'page.js');
  const contents = `import spaceModule from ${JSON.stringify(src.spaceImport)};\nimport { installPage } from ${JSON.stringify(page)};\ninstallPage(spaceModule);\n`;
  try {
    const r = await build({
      stdin: { contents, resolveDir: src.resolveDir, sourcefile: 'proxyless-page-entry.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: fromSource ? ['source', 'browser'] : ['browser'],
      // Dependencies (tfjs, the space package) are resolved from this package first, then the config's folder.
      nodePaths: [join(dirname(require.resolve('@tensorflow/tfjs-core/package.json')), '..', '..')],
      define: { 'process.env.NODE_ENV': '"production"' },
      // The spaces' LayersModel export loads the optional peer @tensorflow/tfjs-layers with import(); a page
      // never exports (core's browser face refuses), so it stays out of the bundle and need not be installed.
      external: ['@tensorflow/tfjs-layers'],
      logLevel: 'silent',
      minify: false,
    });
    return r.outputFiles[0]!.text;
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors;
    const lines = errors?.map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('\n') ?? String(err);
    throw new Error(`browser latency: bundling the page (space ${src.spaceImport}) for the browser failed:\n${lines}\n(a space package must import only browser-safe code: @proxyless/core resolves to @proxyless/core/browser there)`);
  }
}

const PAGE_HTML = '<!doctype html><html><head><meta charset="utf-8"><title>proxyless latency</title></head><body><script type="module" src="/bundle.js"></script></body></html>';

/** The folder of tfjs-backend-wasm's .wasm binaries (served as /wasm/). */
export function wasmDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/**
 * Serves the page on localhost (a free port): `/` the HTML, `/bundle.js` the bundle, `/wasm/*` the
 * backend's .wasm files from node_modules. Cross-origin isolated (COOP/COEP), so `performance.now()`
 * has its fine resolution and SharedArrayBuffer (wasm threads) is available.
 */
export async function servePage(bundle: string): Promise<{ url: string; close(): Promise<void> }> {
  const wasm = wasmDir();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { ...headers, 'Content-Type': type });
      res.end(body);
    };
    if (path === '/' || path === '/index.html') return send(200, 'text/html; charset=utf-8', PAGE_HTML);
    if (path === '/favicon.ico') return send(204, 'image/x-icon', '');
    if (path === '/bundle.js') return send(200, 'text/javascript; charset=utf-8', bundle);
    const m = /^\/wasm\/([\w.-]+\.wasm)$/.exec(path);
    if (m) {
      readFile(join(wasm, m[1]!)).then((b) => send(200, 'application/wasm', b), () => send(404, 'text/plain', `no ${m[1]} in ${wasm}`));
      return;
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
