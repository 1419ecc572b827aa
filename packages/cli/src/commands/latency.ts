import { ExitError } from '../errors.js';

/** `proxyless latency build|predict`: placeholders until latency providers exist (issue 7). */
export function latencyPlaceholder(sub: 'build' | 'predict'): never {
  throw new ExitError(`latency ${sub}: not available yet — it arrives with the latency-providers work (issue 7)`, 2);
}
