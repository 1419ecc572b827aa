// Tokens of the parts a composition derives (the parts a slot creates use their contract's own token:
// `Backend`, `DataProvider`, `SearchSpace`, …). Symbol and interface share a name where there is one.

/** The loaded `Dataset` (from the `DataProvider`). */
export const LoadedDataset = Symbol.for('proxyless.part.Dataset');
/** The `InputSpec` a space is built for: from the dataset, or given (`latency build` with `input:`). */
export const Input = Symbol.for('proxyless.part.InputSpec');
