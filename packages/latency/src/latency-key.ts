import type { OpFeatures } from '@proxyless/core';

/**
 * Lookup-table keys in the form of ProxylessNAS's `search/utils/latency_estimator.py`
 * (`LatencyEstimator.predict`): `<type>-input:HxWxC-output:<shape>`, and for `expanded_conv`
 * (an MBConv block) `-expand:E-kernel:K-stride:S-idskip:0|1`. `Logits` (pooling + classifier) is
 * keyed by the class count alone: `Logits-input:7x7x1280-output:1000`.
 *
 * Types the official estimator does not know (e.g. a test space's `conv`) get the same suffix with
 * the fields they have, in the same order, so that candidates that differ by kernel or stride get
 * different keys. `zero` has no key: it costs nothing.
 */

/** The op types of the official ProxylessNAS tables. */
export const OFFICIAL_TYPES = ['Conv', 'Conv_1', 'Logits', 'expanded_conv'] as const;
/** Official types whose key is only type, input and output. */
const PLAIN_TYPES = new Set(['Conv', 'Conv_1', 'Logits']);

/** Whether an op costs nothing and has no table entry. */
export function isZeroOp(f: Pick<OpFeatures, 'type'>): boolean {
  return f.type === 'zero';
}

function shape(s: readonly number[]): string {
  return s.join('x');
}

/** The table key of an op (throws for `zero`, which has none, and for an incomplete `expanded_conv`). */
export function latencyKey(f: OpFeatures): string {
  if (isZeroOp(f)) throw new Error('latency key: a `zero` op has no key (it costs 0)');
  const output = f.type === 'Logits' ? String(f.output[2]) : shape(f.output);
  const infos = [f.type, `input:${shape(f.input)}`, `output:${output}`];
  if (f.type === 'expanded_conv') {
    const missing = (['expand', 'kernel', 'stride', 'idskip'] as const).filter((k) => f[k] === undefined);
    if (missing.length) throw new Error(`latency key: expanded_conv ${shape(f.input)}→${shape(f.output)} lacks ${missing.join(', ')}`);
    infos.push(`expand:${f.expand}`, `kernel:${f.kernel}`, `stride:${f.stride}`, `idskip:${f.idskip ? 1 : 0}`);
  } else if (!PLAIN_TYPES.has(f.type)) {
    if (f.expand !== undefined) infos.push(`expand:${f.expand}`);
    if (f.kernel !== undefined) infos.push(`kernel:${f.kernel}`);
    if (f.stride !== undefined) infos.push(`stride:${f.stride}`);
    if (f.idskip !== undefined) infos.push(`idskip:${f.idskip ? 1 : 0}`);
    if (f.dilation !== undefined && f.dilation !== 1) infos.push(`dilation:${f.dilation}`);
  }
  return infos.join('-');
}

const FIELD = /^(input|output|expand|kernel|stride|idskip|dilation):(.+)$/;

function parseShape(s: string, key: string): [number, number, number] {
  const parts = s.split('x').map(Number);
  if (parts.length === 1 && Number.isInteger(parts[0])) return [1, 1, parts[0]!];
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`latency key ${key}: bad shape ${s}`);
  return parts as [number, number, number];
}

/** The features a key stands for (inverse of `latencyKey`: `latencyKey(parseLatencyKey(k)) === k`). */
export function parseLatencyKey(key: string): OpFeatures {
  const [type, ...rest] = key.split('-');
  if (!type || rest.length < 2) throw new Error(`latency key ${JSON.stringify(key)}: expected <type>-input:HxWxC-output:HxWxC[-…]`);
  const f: {
    type: string;
    input?: [number, number, number];
    output?: [number, number, number];
    expand?: number;
    kernel?: number;
    stride?: number;
    idskip?: boolean;
    dilation?: number;
  } = { type };
  for (const part of rest) {
    const m = FIELD.exec(part);
    if (!m) throw new Error(`latency key ${JSON.stringify(key)}: unknown field ${JSON.stringify(part)}`);
    const [, name, value] = m as unknown as [string, string, string];
    if (name === 'input' || name === 'output') f[name] = parseShape(value, key);
    else if (name === 'idskip') f.idskip = value === '1';
    else {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new Error(`latency key ${JSON.stringify(key)}: ${name} must be an integer, got ${value}`);
      f[name as 'expand' | 'kernel' | 'stride' | 'dilation'] = n;
    }
  }
  if (!f.input || !f.output) throw new Error(`latency key ${JSON.stringify(key)}: needs input and output`);
  return f as OpFeatures;
}

/** A one-line description of an op for messages (`expanded_conv 56x56x24→28x28x40 e6 k3 s2`). */
export function describeOp(f: OpFeatures): string {
  return isZeroOp(f) ? `zero ${shape(f.input)}` : latencyKey(f);
}
