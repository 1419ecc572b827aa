import type { OpFeatures } from '@proxyless/core';

/** The parts of a ProxylessNAS net config (`ProxylessNASNets` JSON) that latency depends on. */
export interface ProxylessNetConfig {
  readonly first_conv: { readonly kernel_size?: number; readonly stride: number; readonly in_channels: number; readonly out_channels: number };
  readonly blocks: readonly {
    readonly mobile_inverted_conv: {
      readonly name: string;
      readonly in_channels?: number;
      readonly out_channels?: number;
      readonly kernel_size?: number;
      readonly stride?: number;
      readonly expand_ratio?: number;
    };
    readonly shortcut: { readonly name: string } | null;
  }[];
  readonly feature_mix_layer?: { readonly kernel_size?: number; readonly stride?: number; readonly in_channels: number; readonly out_channels: number } | null;
  readonly classifier: { readonly in_features: number; readonly out_features: number };
}

const down = (h: number, s: number) => Math.ceil(h / s);

/**
 * The layers of a released ProxylessNAS network (net config JSON) as latency features, in the
 * form the official estimator prices them: `Conv`, one `expanded_conv` per block (`zero` for a
 * `ZeroLayer`), `Conv_1`, `Logits`. `inputSize` is the image side (224 for ImageNet).
 */
export function netConfigLayers(config: ProxylessNetConfig, inputSize = 224): OpFeatures[] {
  const fc = config.first_conv;
  let h = down(inputSize, fc.stride);
  let c = fc.out_channels;
  const layers: OpFeatures[] = [
    { type: 'Conv', input: [inputSize, inputSize, fc.in_channels], output: [h, h, c], kernel: fc.kernel_size ?? 3, stride: fc.stride },
  ];
  for (const [i, b] of config.blocks.entries()) {
    const m = b.mobile_inverted_conv;
    const stride = m.stride ?? 1;
    if (m.name === 'ZeroLayer') {
      layers.push({ type: 'zero', input: [h, h, c], output: [h, h, c], idskip: b.shortcut !== null });
      continue;
    }
    if (m.in_channels === undefined || m.out_channels === undefined || m.kernel_size === undefined || m.expand_ratio === undefined) {
      throw new Error(`net config: block ${i} (${m.name}) lacks in_channels, out_channels, kernel_size or expand_ratio`);
    }
    if (m.in_channels !== c) throw new Error(`net config: block ${i} takes ${m.in_channels} channels but the previous layer gives ${c}`);
    const ho = down(h, stride);
    layers.push({
      type: 'expanded_conv',
      input: [h, h, c],
      output: [ho, ho, m.out_channels],
      expand: m.expand_ratio,
      kernel: m.kernel_size,
      stride,
      idskip: b.shortcut !== null && b.shortcut.name === 'IdentityLayer',
    });
    h = ho;
    c = m.out_channels;
  }
  const mix = config.feature_mix_layer;
  if (mix) {
    layers.push({ type: 'Conv_1', input: [h, h, c], output: [h, h, mix.out_channels], kernel: mix.kernel_size ?? 1, stride: mix.stride ?? 1 });
    c = mix.out_channels;
  }
  layers.push({ type: 'Logits', input: [h, h, c], output: [1, 1, config.classifier.out_features] });
  return layers;
}
