// Moved to ../runtime/compose-network.ts (below the training layer, so the data-parallel worker can
// import it without importing upward). Kept until train-worker.ts imports it from there.
export * from '../runtime/compose-network.js';
