// Estimators shared by architecture strategies: the BinaryConnect gate gradient (Eq. 4), the
// two-path sampler, and their host-side math.
export * from './binary-connect.js';
export * from './two-path.js';
