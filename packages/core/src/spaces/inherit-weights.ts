import type { Network } from './search-space.js';

/**
 * Weight inheritance by name (what `SearchSpace.inheritWeights` does in the spaces that name a compact
 * network's variables as their supernet does): assigns every variable of `compact` from the `supernet`
 * variable of the same name and shape; throws naming the variables that have none.
 */
export function inheritWeightsByName(supernet: Network, compact: Network): void {
  if (compact.mixedOps.length) throw new Error('inheritWeights: the target network is a supernet, not a compact network');
  const source = new Map(supernet.variables().map((v) => [v.name, v.variable]));
  const missing: string[] = [];
  for (const v of compact.variables()) {
    const s = source.get(v.name);
    if (!s || s.shape.join('x') !== v.variable.shape.join('x')) missing.push(v.name);
    else v.variable.assign(s);
  }
  if (missing.length) {
    throw new Error(`inheritWeights: no matching supernet weights for ${missing.length} variables: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} (was the compact network built by another space?)`);
  }
}
