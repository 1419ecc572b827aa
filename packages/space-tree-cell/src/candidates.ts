/**
 * Candidate ops of a searched edge of the tree cell (ProxylessNAS, Appendix A). Names are those the
 * authors' code prints (`unit_str` of its layers), so an architecture reads like their configs:
 * `3x3_DepthConv` is BN → ReLU → 3×3 depthwise → 1×1 pointwise; `3x3_DilatedDepthConv` the same with
 * a dilation-2 depthwise conv; pools are 3×3 stride 1 with `same` padding (the average excludes the
 * padding); `Identity` passes its input on.
 */
export type EdgeOp =
  | { readonly kind: 'sep_conv'; readonly name: string; readonly kernel: number; readonly dilation: number }
  | { readonly kind: 'pool'; readonly name: string; readonly pool: 'avg' | 'max'; readonly kernel: number }
  | { readonly kind: 'identity'; readonly name: 'Identity' };

/** The paper's seven candidates, in the order of Appendix A. */
export const DEFAULT_EDGE_OPS: readonly string[] = [
  '3x3_DilatedDepthConv',
  'Identity',
  '3x3_DepthConv',
  '5x5_DepthConv',
  '7x7_DepthConv',
  '3x3_AVGPool',
  '3x3_MAXPool',
];

const SEP = /^([1-9])x\1_(Dilated)?DepthConv$/;
const POOL = /^([1-9])x\1_(AVG|MAX)Pool$/;

/** Other spellings accepted in options (DARTS-style names), mapped to the canonical ones. */
const ALIASES: Readonly<Record<string, string>> = {
  identity: 'Identity',
  skip_connect: 'Identity',
  dil_conv_3x3: '3x3_DilatedDepthConv',
  sep_conv_3x3: '3x3_DepthConv',
  sep_conv_5x5: '5x5_DepthConv',
  sep_conv_7x7: '7x7_DepthConv',
  avg_pool_3x3: '3x3_AVGPool',
  max_pool_3x3: '3x3_MAXPool',
};

/** Parses a candidate name (canonical or alias); undefined when it is not one. Kernels must be odd. */
export function parseEdgeOp(name: string): EdgeOp | undefined {
  const canon = ALIASES[name] ?? name;
  if (canon === 'Identity') return { kind: 'identity', name: 'Identity' };
  const s = SEP.exec(canon);
  if (s) {
    const kernel = Number(s[1]);
    if (kernel % 2 === 0) return undefined;
    return { kind: 'sep_conv', name: canon, kernel, dilation: s[2] ? 2 : 1 };
  }
  const p = POOL.exec(canon);
  if (p) {
    const kernel = Number(p[1]);
    if (kernel % 2 === 0) return undefined;
    return { kind: 'pool', name: canon, pool: p[2] === 'AVG' ? 'avg' : 'max', kernel };
  }
  return undefined;
}

/** The canonical name of a candidate; throws naming the accepted forms. */
export function canonicalEdgeOp(name: string): string {
  const op = parseEdgeOp(name);
  if (!op) throw new Error(`unknown tree-cell op "${name}" (expected one of ${DEFAULT_EDGE_OPS.join(', ')}, or k×k variants like 5x5_DilatedDepthConv)`);
  return op.name;
}
