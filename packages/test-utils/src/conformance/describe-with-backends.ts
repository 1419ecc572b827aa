import { describe } from 'vitest';
import { conformanceBackend } from './backend-env.js';

/** Which backends a block runs on (tfjs `describeWithFlags` constraints, by backend name). */
export interface BackendConstraints {
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
}

export const ALL_BACKENDS: BackendConstraints = {};

const announced = new Set<string>();

/**
 * `describe` that runs once per backend project (each project's setup file selects a backend) and
 * skips, with a printed reason, where the backend is unavailable or excluded by `constraints`.
 */
export function describeWithBackends(name: string, constraints: BackendConstraints, fn: (backend: string) => void): void {
  const b = conformanceBackend();
  const title = `${name} [${b.name}]`;
  if (b.unavailable) {
    if (!announced.has(b.name)) {
      announced.add(b.name);
      console.warn(`conformance: skipping backend '${b.name}': ${b.unavailable}`);
    }
    describe.skip(`${title} (skipped: ${b.unavailable})`, () => fn(b.name));
    return;
  }
  const excluded = (constraints.include && !constraints.include.includes(b.name)) || constraints.exclude?.includes(b.name);
  if (excluded) {
    describe.skip(`${title} (not for this backend)`, () => fn(b.name));
    return;
  }
  describe(title, () => fn(b.name));
}
