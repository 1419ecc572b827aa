import { ContainerModule } from 'inversify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keepStrategyPlugin, microModule, microSpacePlugin, recorderPlugin } from '../../test/micro-plugins.js';
import { coreModule } from '../builtin-plugins.js';
import { Contribution, type PluginDescriptor } from '../di/plugin.js';
import { ConfigError } from './config-error.js';
import { descriptorsOf, PluginCatalog, resolveSlots, type SlotRef } from './resolve-plugin.js';

const handWritten = new ContainerModule((bind) => void bind(Contribution.strategy).toConstantValue(keepStrategyPlugin));

describe('PluginCatalog: plugin packages loaded into the composition container', () => {
  it("binds each package's descriptors to the contribution points once and knows which package gave which", () => {
    const catalog = new PluginCatalog(coreModule);
    expect(catalog.builtins.get('backend')!.map((d) => d.name)).toEqual(['cpu']);
    expect(catalog.builtins.get('plugin')!.map((d) => d.name)).toEqual(['run-directory']);
    const micro = catalog.load(microModule);
    expect(micro.get('space')).toEqual([microSpacePlugin]);
    expect(catalog.load(microModule)).toBe(micro); // loaded once
    const other = catalog.load(handWritten);
    expect(other.get('strategy')).toEqual([keepStrategyPlugin]);
    // the container's contribution points hold every package's descriptors (a multi-binding)
    expect(catalog.container.getAll<PluginDescriptor>(Contribution.strategy).map((d) => d.name)).toEqual(['keep', 'keep']);
    expect(catalog.container.getAll<PluginDescriptor>(Contribution.plugin)).toEqual([catalog.builtins.get('plugin')![0], recorderPlugin]);
  });

  it("descriptorsOf lists pluginModule's record without loading it, and a hand-written module through a catalog", () => {
    expect([...descriptorsOf(microModule)].map(([k, ds]) => `${k}:${ds.map((d) => d.name)}`)).toEqual(['space:micro', 'strategy:keep', 'plugin:recorder']);
    expect(descriptorsOf(handWritten).get('strategy')).toEqual([keepStrategyPlugin]);
  });
});

describe('resolveSlots: every problem of every slot in one ConfigError, cross-slot checks last', () => {
  const ctx = (raw: unknown) => ({ file: '/x/search.yaml', configDir: mkdtempSync(join(tmpdir(), 'proxyless-resolve-')), raw, catalog: new PluginCatalog([coreModule, microModule]) });

  it('names the field, the value and the expectation of unknown packages and bad options together', async () => {
    const slots: SlotRef[] = [
      ['space', ['space'], 'space', { use: 'no-such-space-package', options: {} }],
      ['strategy', ['strategy'], 'strategy', { use: 'keep', options: { latencyWeight: -1 } }],
    ];
    const err = (await resolveSlots(slots, ctx({})).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.problems.map((p) => p.path)).toEqual(['space.use', 'strategy.options.latencyWeight']);
    expect(err.problems[0]!.value).toBe('"no-such-space-package"');
    expect(err.problems[0]!.expected).toContain('npm install no-such-space-package');
    expect(err.problems[1]!.value).toBe('-1');
    expect(err.message).toMatch(/^\/x\/search\.yaml: invalid config\n {2}- space\.use: got "no-such-space-package"; expected a built-in space plugin/);
  });

  it('runs validate only once every option is valid, with a view of all filled slots', async () => {
    const needsLatency: SlotRef = ['strategy', ['strategy'], 'strategy', { use: 'keep', options: { latencyWeight: 1 } }];
    const err = (await resolveSlots([needsLatency], ctx({})).catch((e: unknown) => e)) as ConfigError;
    expect(err.problems).toEqual([expect.objectContaining({ path: 'latency', value: 'nothing (field missing)' })]);
    const ok = await resolveSlots([needsLatency, ['latency', ['latency'], 'latency', { use: 'measured', options: {} }]], ctx({}));
    expect([...ok.values()].map((r) => `${r.kind}:${r.descriptor.name}:${r.from}`)).toEqual(['strategy:keep:builtin', 'latency:measured:builtin']);
  });
});
