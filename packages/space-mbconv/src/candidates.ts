/**
 * Candidate ops of the MBConv space. Names follow the ProxylessNAS code (`3x3_MBConv6`: kernel 3,
 * expand ratio 6); NNI-style keys (`k3e6`) are accepted and mapped to these names. `zero` is the
 * skip op, offered on blocks that have an identity shortcut.
 */
export interface MBConvChoice {
  readonly kind: 'mbconv';
  readonly name: string;
  readonly kernel: number;
  readonly expand: number;
}
export interface ZeroChoice {
  readonly kind: 'zero';
  readonly name: 'zero';
}
export type CandidateChoice = MBConvChoice | ZeroChoice;

export const ZERO = 'zero' as const;

/** The paper's default candidates: kernel {3,5,7} × expand ratio {3,6}. */
export const DEFAULT_CANDIDATES: readonly string[] = ['3x3_MBConv3', '3x3_MBConv6', '5x5_MBConv3', '5x5_MBConv6', '7x7_MBConv3', '7x7_MBConv6'];

export const mbconvName = (kernel: number, expand: number): string => `${kernel}x${kernel}_MBConv${expand}`;

const LEGACY = /^([1-9])x\1_MBConv([1-9]\d*)$/;
const NNI = /^k([1-9])e([1-9]\d*)$/;

/** Parses `3x3_MBConv6`, `k3e6` or `zero`; undefined when the name is neither. */
export function parseCandidate(name: string): CandidateChoice | undefined {
  if (name === ZERO) return { kind: 'zero', name: ZERO };
  const m = LEGACY.exec(name) ?? NNI.exec(name);
  if (!m) return undefined;
  const kernel = Number(m[1]);
  const expand = Number(m[2]);
  if (kernel % 2 === 0) return undefined;
  return { kind: 'mbconv', name: mbconvName(kernel, expand), kernel, expand };
}

/** The canonical (`3x3_MBConv6`) form of a candidate name; throws on an unknown name. */
export function canonicalCandidate(name: string): string {
  const c = parseCandidate(name);
  if (!c) throw new Error(`unknown MBConv candidate "${name}" (expected e.g. 3x3_MBConv6, k5e3 or zero)`);
  return c.name;
}
