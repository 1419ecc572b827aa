// A test fixture of core's own tests: wraps a real module and counts how often it runs, so a test can
// assert which paths a forward pass computed.
import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Module, NamedVariable } from '../src/nn/module.js';

export class Counting implements Module {
  calls = 0;
  constructor(readonly inner: Module) {}
  get name() {
    return this.inner.name;
  }
  apply(x: tf.Tensor, ctx: ForwardContext) {
    this.calls++;
    return this.inner.apply(x, ctx);
  }
  variables(): NamedVariable[] {
    return this.inner.variables();
  }
}
