import { Contribution, Container, ContainerModule } from '@proxyless/core';
import { describe, expect, it } from 'vitest';
import pluginModuleDefault, { binaryConnectOptions, binaryConnectStrategyPlugin, deriveRule, latencyLossForm } from './index.js';

const issues = (input: unknown) => {
  const r = binaryConnectOptions.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('binaryconnect options', () => {
  it('defaults to the paper: two-path mode, Adam lr 0.006, β1 0, β2 0.999, ε 1e-8, no latency term', () => {
    const o = binaryConnectOptions.parse({});
    expect(o).toMatchObject({ mode: 'two', lr: 0.006, beta1: 0, beta2: 0.999, eps: 1e-8, alphaR: 0.2, beta: 0.3, hardBudget: false, zeroActive: 'estimate' });
    expect(latencyLossForm(o)).toBe('none');
    expect(deriveRule(o)).toBe('argmax');
  });

  it('reads the deprecated key `target` as `budget`, warning with the new name; both keys is an error', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const o = binaryConnectOptions.parse({ target: 20, hardBudget: true });
      expect(o.budget).toBe(20);
      expect('target' in o).toBe(false);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toContain('strategy binaryconnect: option "target" is deprecated; use "budget" (same meaning)');
    expect(issues({ target: 20, budget: 20 })).toEqual(['target: target is the deprecated name of budget; give budget only']);
  });

  it('a budget alone means the authors’ multiplicative loss; hardBudget derives within the budget', () => {
    expect(latencyLossForm(binaryConnectOptions.parse({ budget: 20 }))).toBe('multiplicative');
    const hard = binaryConnectOptions.parse({ budget: 20, hardBudget: true, latencyLoss: 'none' });
    expect(latencyLossForm(hard)).toBe('none');
    expect(deriveRule(hard)).toBe('within-budget');
    expect(deriveRule(binaryConnectOptions.parse({ budget: 20, hardBudget: true, derive: 'argmax' }))).toBe('argmax');
  });

  it('reports missing and bad values with their path', () => {
    expect(issues({ mode: 'three' })[0]).toMatch(/^mode: /);
    expect(issues({ latencyLoss: 'additive' })).toEqual(['lambda: latencyLoss "additive" needs lambda (λ2, the weight of E[lat] per provider unit)']);
    expect(issues({ latencyLoss: 'normalized' })).toEqual(['budget: latencyLoss "normalized" needs budget (T in the latency provider’s unit)']);
    expect(issues({ hardBudget: true, latencyLoss: 'none' })).toEqual(['budget: hardBudget needs budget (T in the latency provider’s unit)']);
    expect(issues({ budget: 0.5 })[0]).toMatch(/^budget: latencyLoss "multiplicative" uses log E\[lat\] \/ log T, so T must exceed 1/);
    expect(issues({ lr: 0.006, momentum: 0.9 })[0]).toMatch(/momentum/);
  });

  it('is a strategy plugin named binaryconnect, bound by the default export', () => {
    expect(binaryConnectStrategyPlugin.kind).toBe('strategy');
    expect(binaryConnectStrategyPlugin.name).toBe('binaryconnect');
    expect(pluginModuleDefault).toBeInstanceOf(ContainerModule);
    const c = new Container();
    c.load(pluginModuleDefault);
    expect(c.getAll(Contribution.strategy)).toEqual([binaryConnectStrategyPlugin]);
  });
});
