// Runs the built CLI (`node packages/cli/dist/bin.js`) as a child process, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const binPath = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(binPath)) throw new Error(`${binPath} is missing: build first (npx tsc -b at the repository root)`);
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly done: Promise<CliRun>;
  /** Resolves once stderr contains `text` (rejects if the process ends first). */
  waitForStderr(text: string | RegExp): Promise<void>;
  stderr(): string;
}

export function spawnCli(args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Spawned {
  assertBuilt();
  const { PROXYLESS_DEBUG: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [binPath, ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env: { ...env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of [...waiters]) {
      if (w.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    stderr: () => stderr,
    waitForStderr: (text) =>
      new Promise<void>((resolve, reject) => {
        const test = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
        if (test(stderr)) return resolve();
        waiters.push({ test, resolve });
        void done.then((r) => reject(new Error(`the CLI exited (code ${r.code}) before printing ${String(text)} on stderr:\n${r.stderr}`)));
      }),
  };
}

export function runCliProcess(args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return spawnCli(args, opts).done;
}

/**
 * Writes `<dir>/space.yaml`: the config `latency build|predict` tests measure — the tiny space at 16×16×1
 * on the wasm backend (three blocks, kernels 3 and 5). Returns its path.
 */
export function writeLatencySpaceConfig(dir: string): string {
  const config = join(dir, 'space.yaml');
  writeFileSync(
    config,
    [
      'seed: 3',
      'backend: { use: "@proxyless/backend-wasm" }',
      'input: { shape: [16, 16, 1], numClasses: 10 }',
      'space: { use: "@proxyless/test-utils", options: { stem: 4, blocks: [{ width: 4, stride: 2 }, { width: 4, stride: 1 }, { width: 8, stride: 2 }], kernels: [3, 5] } }',
      '',
    ].join('\n'),
  );
  return config;
}
