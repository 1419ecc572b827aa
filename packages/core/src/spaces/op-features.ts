/**
 * What a latency model needs to know about one op (a candidate of a mixed op or a fixed layer).
 * Shapes are H×W×C of a single example (batch is the provider's business).
 */
export interface OpFeatures {
  /** Op type, e.g. `Conv`, `expanded_conv`, `Conv_1`, `Logits`, `zero`, `conv`, `sep_conv`, `pool`. */
  readonly type: string;
  readonly input: readonly [number, number, number];
  readonly output: readonly [number, number, number];
  readonly kernel?: number;
  readonly stride?: number;
  readonly expand?: number;
  /** Whether the block has an identity shortcut. */
  readonly idskip?: boolean;
  readonly dilation?: number;
  /** Anything else a space wants to expose (kept out of lookup keys unless a provider uses it). */
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
}
