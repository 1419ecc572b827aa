import type { ExpectedLatency } from '../latency/latency-provider.js';
import type { DerivedInfo } from '../session/hooks.js';
import type { ArchitectureStrategy, CheckedDerive } from './strategy.js';

/**
 * The result's derived architecture: `known` when the caller has it already (a derive the search
 * checked), else the strategy's checked derive when it has one (which may measure the network), else
 * `derive()`; with its latency under the search's latency model.
 */
export async function derivedInfo(strategy: ArchitectureStrategy, latency: ExpectedLatency | undefined, known?: CheckedDerive): Promise<DerivedInfo> {
  const checked = known ?? (strategy.deriveChecked ? await strategy.deriveChecked() : { architecture: strategy.derive() });
  const { architecture } = checked;
  return {
    architecture,
    probabilities: strategy.probabilities(),
    ...(latency ? { latency: latency.ofArchitecture(architecture), latencyUnit: latency.unit } : {}),
    ...(checked.measuredLatency !== undefined ? { measuredLatency: checked.measuredLatency } : {}),
    ...(checked.budget !== undefined ? { latencyBudget: checked.budget } : {}),
  };
}
