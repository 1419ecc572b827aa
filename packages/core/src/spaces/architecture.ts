/**
 * A concrete architecture: for every mixed-op label, the name of the chosen candidate. Plain JSON,
 * e.g. `{ "s1_b0": "5x5_MBConv6", "s1_b1": "zero" }`.
 */
export type Architecture = Record<string, string>;
